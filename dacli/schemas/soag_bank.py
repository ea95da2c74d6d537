"""The Severity of Abuse Grid (Soag) and its guidance (SafeLives 2014), word for word, as data.

Source: ``/work/shared/seeds/002_9bc83e598a6b39a2.txt`` (SafeLives Case Management Pack 2014, text dump).
The wording must not be altered, and anything showing it carries ``ATTRIBUTION`` (and, for the grid and
its guidance, ``PERMISSION``). Line numbers below are the dump's (1-based):

- 458-460, 472-475  what the Soag is, from the checklist resource (``ABOUT``).
- 900-906  heading and instructions (``RESOURCE_HEADING``, ``INSTRUCTIONS``): 'current' abuse is an
           incident within the last three months; if abuse is occurring, circle one answer in each of
           the other three columns.
- 908-912  column labels (``COLUMNS``).
- 914-1004 the grid rows: type names and the options printed in each row (``OCCURRING_OPTIONS``,
           ``SEVERITY_OPTIONS``, ``ESCALATION_OPTIONS``); physical 914-936, sexual 938-960, stalking and
           harassment 962-982, jealous and controlling behaviour / emotional abuse 984-1004.
- 1007-1011 guidance heading and notes (``GUIDANCE_HEADING``, ``GUIDANCE_NOTES``).
- 1013-1059 guidance per type and level (``ABUSE_TYPES``): physical 1013-1023, sexual 1025-1035,
           harassment or stalking 1037-1047, jealous or controlling behaviour/emotional abuse 1049-1059.
- 3834     footnote: ``PERMISSION``.
- 66       the attribution line required on reproduced forms (``ATTRIBUTION``).

Reading rules. The grid (``name``) and the guidance (``guidance_heading``) name the types differently;
both are kept as printed. The dump prints "Moderate Standard" on one line in three of the four rows
(948, 972, 994): read as the two options Moderate and Standard, as in the physical row (924-926).
Trailing spaces and tab indentation are dropped; wording, spelling and punctuation are as printed,
including the "No" column's "Never, or not currently" (physical, sexual) against "Never or not currently"
(stalking, jealous). The footnote mark in the text of line 474 ("Safety In Numbers") is dropped and the
broken line joined.
"""

from __future__ import annotations

from dataclasses import dataclass

SOAG_VERSION = "safelives-soag-2014"
ATTRIBUTION = "© SafeLives 2014 - reproduced with permission from SafeLives"
PERMISSION = "Grid and guidance reproduced with kind permission of the Hestia Fund."

# 'Current' abuse: an incident within the last three months (line 904); escalation columns look back
# over the past 3 months (lines 911-912).
CURRENT_MONTHS = 3


@dataclass(frozen=True)
class AbuseType:
    key: str
    name: str
    """The row label in the grid."""
    guidance_heading: str
    """The heading of this type's guidance table."""
    no: str
    standard: str
    moderate: str
    high: str

    def guidance(self, level: str) -> str:
        """The guidance for 'high', 'moderate', 'standard' or 'no'."""
        return {"high": self.high, "moderate": self.moderate, "standard": self.standard, "no": self.no}[level]


ABOUT_HEADING = "What is the Severity of Abuse Grid (Soag)?"
ABOUT: tuple[str, ...] = (
    "The SOAG is useful for capturing detailed information about the abuse the client is experiencing. "
    "Using both tools together will help you gather a more comprehensive picture of abuse and the specific "
    "risks your client is experiencing. See the section below for more information.",
    "The Safety In Numbers evaluation asked services to incorporate the Soag to provide more subtle "
    "information about the abuse that the Checklist captures. It covers the nature or type of the abuse, "
    "how often the abuse takes place, how severe it is and whether it is escalating. The Soag can be a "
    "useful tool to profile the client’s risk and abuse they are experiencing, and will allow you to chart, "
    "in a simple way, any change over time. If you use this tool to monitor risk, this should be completed "
    "at reviews and case closure so that information on the change in the client’s situation can be "
    "documented and then translated into a revised ISSP.",
)

RESOURCE_HEADING = "Resource: Severity of Abuse Grid"
INSTRUCTIONS: tuple[str, ...] = (
    "This Severity of Abuse Grid (Soag) has been developed to be used with the Risk Identification "
    "Checklist.  It gives you a framework within which you can identify specific features of the abuse "
    "suffered by your client and help you to address their safety in an informed and coherent way. It will "
    "also typically provide information that will be relevant for those cases going to Marac.",
    "To complete the Soag, take the answers from the relevant questions on the checklist and then explore "
    "in more detail the severity of each category of abuse currently suffered and the escalation if it "
    "exists. Whether you are using it at the initial assessment or when reviewing risk, we recommend that "
    "the timeframe that should be applied for ‘current’ abuse is an incident within the last three months. "
    "Please note that each case is unique and you will have to use your professional judgement in relation "
    "to the information that you are given by your client. The context in which these and similar "
    "behaviours occur is all important in identifying a level of severity.",
    "If you answer ‘yes’ to any of the questions ‘is the abuse occurring?’ you must circle one answer for "
    "each of the boxes in the other three columns to identify the level of severity, the escalation in "
    "severity and in frequency.",
)

COLUMNS: tuple[str, ...] = (
    "Type of abuse",
    "Is abuse occurring?",
    "Severity of abuse",
    "Escalation in severity (past 3 months)",
    "Escalation in frequency (past 3 months)",
)
OCCURRING_OPTIONS: tuple[str, ...] = ("Yes", "No", "Don’t know", "Not answered")
SEVERITY_OPTIONS: tuple[str, ...] = ("High", "Moderate", "Standard")
ESCALATION_OPTIONS: tuple[str, ...] = ("Worse", "Unchanged", "Reduced")

GUIDANCE_HEADING = "Guidance on completing the Severity of Abuse Grid"
GUIDANCE_NOTES: tuple[str, ...] = (
    "Note: This guidance is designed to help you complete the Soag above. Please note that each case is "
    "unique and you will have to use your professional judgement in relation to the information that you "
    "are given by your client.",
    "The context in which these and similar behaviours occur is all important in identifying a level of "
    "severity. For example, the misuse of substances including alcohol may increase the level of risk faced "
    "by an individual. Similarly, the cultural context in which abuse takes place should inform your "
    "judgement as to the level of risk posed.",
)
# The guidance tables' column labels, in the pack's order (lines 1015-1018).
GUIDANCE_COLUMNS: tuple[str, ...] = ("No", "Standard", "Moderate", "High")

ABUSE_TYPES: tuple[AbuseType, ...] = (
    AbuseType(
        key="physical",
        name="Physical",
        guidance_heading="Physical abuse",
        no="Never, or not currently",
        standard="Slapping, pushing; no injuries.",
        moderate="Slapping, pushing; lasting pain or mild, light bruising or shallow cuts.",
        high=(
            "Noticeable bruising, lacerations, pain, severe contusions, burns, broken bones, threats and "
            "attempts to kill partner, children, relatives or pets. Strangulation, holding under water or "
            "threat to use or use of weapons, loss of consciousness, head injury, internal injury, permanent "
            "injury, miscarriage."
        ),
    ),
    AbuseType(
        key="sexual",
        name="Sexual",
        guidance_heading="Sexual abuse",
        no="Never, or not currently",
        standard="Use of sexual insults.",
        moderate=(
            "Uses pressure to obtain sex; unwanted touching, non-violent acts that make victim feel "
            "uncomfortable about sex, their gender identity or sexual orientation."
        ),
        high=(
            "Uses threats or force to obtain sex, rape, serious sexual assaults. Deliberately inflicts pain "
            "during sex, combines sex and violence including weapons, sexually abuses children and forces "
            "partner to watch, enforced prostitution, intentional transmission of STIs/HIV/AIDS."
        ),
    ),
    AbuseType(
        key="stalking_harassment",
        name="Stalking and harassment",
        guidance_heading="Harassment or stalking",
        no="Never or not currently",
        standard="Occasional phone calls, texts and emails.",
        moderate="Frequent phone calls, texts, emails.",
        high=(
            "Constant/obsessive phone calls, texts or emails, uninvited visits to home, workplace etc or "
            "loitering. Destroys or vandalises property, pursues victim after separation, stalking, threats "
            "of suicide/homicide to victim and other family members, threats of sexual violence, involvement "
            "of others in the stalking behaviour."
        ),
    ),
    AbuseType(
        key="jealous_controlling_emotional",
        name="Jealous and controlling behaviour / emotional abuse",
        guidance_heading="Jealous or controlling behaviour/emotional abuse",
        no="Never or not currently",
        standard=(
            "Made to account for victim’s time, some isolation from family/friends or support network, put "
            "down in public."
        ),
        moderate=(
            "Increased control over victim’s time, significant isolation from family and friends, "
            "intercepting mail or phone calls, controls access to money, irrational accusations of "
            "infidelity, constant criticism of role as partner/wife/mother."
        ),
        high=(
            "Controls most or all of victim’s daily activities, prevention from taking medication, accessing "
            "care needs (especially relevant for survivors with disabilities); extreme dominance, e.g. "
            "believes absolutely entitled to partner, partner’s services, obedience, loyalty no matter what. "
            "Extreme jealousy, e.g. ‘If I can’t have you, no-one can’, with belief that abuser will act on "
            "this. Locks person up or severely restricts their movements, threats to take the children. "
            "Suicide/homicide threats, involvement of wider family members, crimes in the name of ‘honour’. "
            "Threats to expose sexual activity to family members, religious or local community via photos, "
            "online (e.g. Facebook) or in public places."
        ),
    ),
)
