"""The SafeLives Dash risk identification checklist (2014), word for word, as data.

Source: ``/work/shared/seeds/002_9bc83e598a6b39a2.txt`` (SafeLives Case Management Pack 2014, text dump).
The wording must not be altered, and anything showing it carries ``ATTRIBUTION``. Line numbers below are
the dump's (1-based):

- 453-470  "Resource: SafeLives Dash risk checklist": when to use the checklist (``WHEN_TO_USE``).
- 480-481  form title (``TITLE``; the dump breaks it across two lines), with the footnote printed at 3831
           (``TITLE_FOOTNOTE``).
- 482-492  instructions and column headings (``EXPLAIN_PURPOSE``, ``INSTRUCTIONS``, ``SOURCE_ASSUMPTION``,
           ``ANSWER_COLUMNS``, ``SOURCE_COLUMN``, ``SOURCE_COLUMN_EXAMPLE``); repeated as page furniture at
           628-632 and not kept twice.
- 494-801  the 24 questions (``QUESTIONS``): q1 494-496, q2 502-504, q3 512-516, q4 524-530, q5 538,
           q6 544, q7 550, q8 556-558, q9 565, q10 571, q11 577, q12 583-585, q13 591, q14 597-616,
           q15 622, q16 634-636, q17 644-646, q18 654-686, q19 692, q20 698-700, q21 706-722, q22 728,
           q23 734-769, q24 775-797.
- 803      ``TOTAL_YES_LABEL``.
- 807-893  the professional section (``PROFESSIONAL_HEADING``, ``PROFESSIONAL_ITEMS``).
- 898      acknowledgement printed under the form (``ACKNOWLEDGEMENT``).
- 1954-1957 Marac forms guidance on gaps in the checklist (``GAPS_GUIDANCE``).
- 2093-2105 Marac referral form, reason for referral (``MARAC_REASON_HEADING``, ``MARAC_CRITERIA``,
           ``MARAC_REPEAT_DETAIL``).
- 66       the attribution line required on reproduced forms (``ATTRIBUTION``).

Reading rules. Lines the dump broke mid-sentence are joined with one space; trailing spaces, tab
indentation and the empty tick boxes are dropped. ``[name of abuser(s)]`` is the pack's placeholder and is
kept. ``guidance`` is the text printed under a question, ``subtick_label`` a line printed only to introduce
the sub-ticks (q14 "If yes, tick who:", q24 "If yes, please specify:"); where the introducing sentence also
carries guidance (q18, q21) it stays in ``guidance``. The pack prints a "Comment:" prompt under q2, q3 and
q4 only (``COMMENT_PROMPT``, ``COMMENT_PROMPT_QUESTIONS``); every question also has the form's comment box.
Typos and spacing in the pack (q8's question mark, "‘honour’- based", "case closure .") are kept as printed.
"""

from __future__ import annotations

from dataclasses import dataclass

DASH_VERSION = "safelives-dash-2014"
ATTRIBUTION = "© SafeLives 2014 - reproduced with permission from SafeLives"


@dataclass(frozen=True)
class Question:
    number: int
    text: str
    guidance: str
    subticks: tuple[str, ...] = ()
    subtick_label: str = ""


@dataclass(frozen=True)
class ProfessionalItem:
    key: str
    text: str


@dataclass(frozen=True)
class MaracCriterion:
    key: str
    text: str


# --- header and instructions (lines 453-492) -----------------------------------------------------------

RESOURCE_HEADING = "Resource: SafeLives Dash risk checklist"

WHEN_TO_USE_HEADING = "When to use the Checklist"
WHEN_TO_USE: tuple[str, ...] = (
    "The Checklist should be completed at intake, and you should complete a new Checklist, regardless of "
    "whether a referring agency has completed one, as a client will normally disclose significantly more "
    "information to a specialist domestic abuse worker.",
    "The Checklist is useful for gathering information about the specific risks in your client’s life so "
    "that you can offer the most appropriate support. It enables you to allocate resources, prioritise "
    "workloads, offer more appropriate responses and inform the Individualised Safety and Support Plans "
    "(ISSP).",
    "Risk changes over time and you need to be aware of the changing levels of risk. It is important that "
    "risk is reviewed at regular intervals (at least every six to eight weeks), after a new incident, as "
    "part of formal reviews (see the case review form) and/or at case closure . This will help you refresh "
    "any ISSP in place, enable you to progress cases more appropriately and ensure a more robust and "
    "accountable decision-making process in relation to case closure.",
)

TITLE = (
    "SafeLives Dash risk checklist for use by Idvas and other non-police agencies for Marac case "
    "identification when domestic abuse, ‘honour’-based violence and/or stalking are disclosed."
)
TITLE_FOOTNOTE = (
    "This checklist is consistent with the Association of Chief Police Officers (ACPO) endorsed risk "
    "assessment model DASH 2009 for the police service."
)
EXPLAIN_PURPOSE = (
    "Please explain that the purpose of asking these questions is for the safety and protection of the "
    "individual concerned."
)
INSTRUCTIONS = (
    "Tick the box if the factor is present. Please use the comment box at the end of the form to expand on "
    "any answer."
)
SOURCE_ASSUMPTION = (
    "It is assumed that your main source of information is the victim. If this is not the case, please "
    "indicate in the right hand column"
)
ANSWER_COLUMNS: tuple[str, ...] = ("YES", "NO", "DON’T KNOW")
SOURCE_COLUMN = "State source of info if not the victim"
SOURCE_COLUMN_EXAMPLE = "(eg police officer)"
COMMENT_PROMPT = "Comment:"
COMMENT_PROMPT_QUESTIONS: tuple[int, ...] = (2, 3, 4)
TOTAL_YES_LABEL = "Total ‘yes’ responses"

# --- the 24 questions (lines 494-801) ------------------------------------------------------------------

QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        "Has the current incident resulted in injury?",
        "Please state what and whether this is the first injury.",
    ),
    Question(2, "Are you very frightened?", ""),
    Question(
        3,
        "What are you afraid of? Is it further injury or violence?",
        "Please give an indication of what you think [name of abuser(s)] might do and to whom, including "
        "children.",
    ),
    Question(
        4,
        "Do you feel isolated from family/friends?",
        "Ie, does [name of abuser(s)] try to stop you from seeing friends/family/doctor or others?",
    ),
    Question(5, "Are you feeling depressed or having suicidal thoughts?", ""),
    Question(6, "Have you separated or tried to separate from [name of abuser(s)] within the past year?", ""),
    Question(7, "Is there conflict over child contact?", ""),
    Question(
        8,
        "Does [name of abuser(s)] constantly text, call, contact, follow, stalk or harass you?",
        "Please expand to identify what and whether you believe that this is done deliberately to intimidate "
        "you? Consider the context and behaviour of what is being done.",
    ),
    Question(9, "Are you pregnant or have you recently had a baby (within the last 18 months)?", ""),
    Question(10, "Is the abuse happening more often?", ""),
    Question(11, "Is the abuse getting worse?", ""),
    Question(
        12,
        "Does [name of abuser(s)] try to control everything you do and/or are they excessively jealous?",
        "For example: in terms of relationships; who you see; being ‘policed’ at home; telling you what to "
        "wear. Consider ‘honour’-based violence (HBV) and specify behaviour.",
    ),
    Question(13, "Has [name of abuser(s)] ever used weapons or objects to hurt you?", ""),
    Question(
        14,
        "Has [name of abuser(s)] ever threatened to kill you or someone else and you believed them?",
        "",
        subticks=("You", "Children", "Other (please specify)"),
        subtick_label="If yes, tick who:",
    ),
    Question(15, "Has [name of abuser(s)] ever attempted to strangle / choke / suffocate / drown you?", ""),
    Question(
        16,
        "Does [name of abuser(s)] do or say things of a sexual nature that make you feel bad or that "
        "physically hurt you or someone else?",
        "If someone else, specify who.",
    ),
    Question(
        17,
        "Is there any other person who has threatened you or who you are afraid of?",
        "If yes, please specify whom and why. Consider extended family if HBV.",
    ),
    Question(
        18,
        "Do you know if [name of abuser(s)] has hurt anyone else?",
        "Consider HBV. Please specify whom, including the children, siblings or elderly relatives:",
        subticks=(
            "Children",
            "Another family member",
            "Someone from a previous relationship",
            "Other (please specify)",
        ),
    ),
    Question(19, "Has [name of abuser(s)] ever mistreated an animal or the family pet?", ""),
    Question(
        20,
        "Are there any financial issues?",
        "For example, are you dependent on [name of abuser(s)] for money/have they recently lost their "
        "job/other financial issues?",
    ),
    Question(
        21,
        "Has [name of abuser(s)] had problems in the past year with drugs (prescription or other), alcohol "
        "or mental health leading to problems in leading a normal life?",
        "If yes, please specify which and give relevant details if known.",
        subticks=("Drugs", "Alcohol", "Mental health"),
    ),
    Question(22, "Has [name of abuser(s)] ever threatened or attempted suicide?", ""),
    Question(
        23,
        "Has [name of abuser(s)] ever broken bail/an injunction and/or formal agreement for when they can "
        "see you and/or the children?",
        "You may wish to consider this in relation to an ex-partner of the perpetrator if relevant.",
        subticks=(
            "Bail conditions",
            "Non Molestation/Occupation Order",
            "Child contact arrangements",
            "Forced Marriage Protection Order",
            "Other",
        ),
    ),
    Question(
        24,
        "Do you know if [name of abuser(s)] has ever been in trouble with the police or has a criminal "
        "history?",
        "",
        subticks=("Domestic abuse", "Sexual violence", "Other violence", "Other"),
        subtick_label="If yes, please specify:",
    ),
)

# --- for consideration by professional (lines 807-893) -------------------------------------------------

PROFESSIONAL_HEADING = "For consideration by professional"
PROFESSIONAL_ITEMS: tuple[ProfessionalItem, ...] = (
    ProfessionalItem(
        "other_relevant_information",
        "Is there any other relevant information (from victim or professional) which may increase risk "
        "levels?",
    ),
    # Lines 811 and 813 are two paragraphs of one box with one answer space (814): joined with a space.
    ProfessionalItem(
        "victim_situation",
        "Consider victim’s situation in relation to disability, substance misuse, mental health issues, "
        "cultural / language barriers, ‘honour’- based systems, geographic isolation and minimisation. "
        "Are they willing to engage with your service? Describe.",
    ),
    ProfessionalItem(
        "abuser_access_to_weapons",
        "Consider abuser’s occupation / interests. Could this give them unique access to weapons? Describe.",
    ),
    ProfessionalItem(
        "victim_priorities",
        "What are the victim’s greatest priorities to address their safety?",
    ),
    ProfessionalItem(
        "marac_grounds",
        "Do you believe that there are reasonable grounds for referring this case to Marac?",
    ),
    ProfessionalItem("marac_referral_made", "If yes, have you made a referral?"),
    ProfessionalItem("marac_signed", "Signed"),
    ProfessionalItem("marac_date", "Date"),
    ProfessionalItem(
        "children_at_risk",
        "Do you believe that there are risks facing the children in the family?",
    ),
    ProfessionalItem(
        "children_referral_made",
        "If yes, please confirm if you have made a referral to safeguard the children?",
    ),
    ProfessionalItem("children_referral_date", "Date referral made"),
    ProfessionalItem("children_signed", "Signed"),
    ProfessionalItem("children_date", "Date"),
    ProfessionalItem("name", "Name"),
    ProfessionalItem("practitioners_notes", "Practitioner’s notes"),
)
# The items the pack answers with its Yes / No tick boxes (lines 827-879).
YES_NO: tuple[str, ...] = ("Yes", "No")
PROFESSIONAL_YES_NO_KEYS: tuple[str, ...] = (
    "marac_grounds",
    "marac_referral_made",
    "children_at_risk",
    "children_referral_made",
)

ACKNOWLEDGEMENT = (
    "This document reflects work undertaken by SafeLives in partnership with Laura Richards, Consultant "
    "Violence Adviser to ACPO. We would like to thank Advance, Blackburn with Darwen Women’s Aid and "
    "Berkshire East Family Safety Unit and all the partners of the Blackpool MARAC for their contribution "
    "in piloting the revised checklist without which we could not have amended the original SafeLives risk "
    "identification checklist. We are very grateful to Elizabeth Hall of CAFCASS and Neil Blacklock of "
    "Respect for their advice and encouragement and for the expert input we received from Jan Pickles, "
    "Dr Amanda Robinson and Jasvinder Sanghera."
)

# --- Marac referral (lines 1957, 2093-2105) ------------------------------------------------------------

GAPS_GUIDANCE = "Any gaps in your Ric so that the Marac can be aware that there may be unidentified risks."

MARAC_REASON_HEADING = "Reason for referral / additional information"
# Each answered Y / N on the Marac referral form; the order is the form's.
MARAC_CRITERIA: tuple[MaracCriterion, ...] = (
    MaracCriterion("professional_judgement", "Professional judgement"),
    MaracCriterion(
        "visible_high_risk",
        "Visible high risk (14 ticks or more on SafeLives Dash risk checklist)",
    ),
    MaracCriterion(
        "potential_escalation",
        "Potential escalation (3 or more incidents reported to the Police in the past 12 months)",
    ),
    MaracCriterion(
        "marac_repeat",
        "MARAC repeat (further incident identified within twelve months from the date of the last referral)",
    ),
)
MARAC_REPEAT_DETAIL = "If yes, please provide the date listed / case number (if known)"
VISIBLE_HIGH_RISK_THRESHOLD = 14
