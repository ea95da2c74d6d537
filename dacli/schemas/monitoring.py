"""Coded equality and monitoring answers, kept beside the client's own words (issue 17).

The intake form's own fields (gender identity, ethnicity, religion...) stay free text in the client's words.
These coded answers sit beside them so that a service can count: every list has 'prefers-not-to-say' and
'not-asked', and a question left out is counted as not asked (never as a no). Where each list comes from:

- gender and trans status: the ONS Census 2021 sex question and its gender identity question ("Is the
  gender you identify with the same as your sex registered at birth?");
- ethnicity: the ONS Census 2021 ethnic groups for England (19 groups in five headings);
- sexual orientation and religion: the ONS Census 2021 categories;
- disability: the Equality Act 2010 definition (yes or no) and the GSS harmonised impairment types;
- age bands: the ONS ten-year bands, with 16-17 and 18-24 apart (the SafeLives Marac dataset counts
  clients aged 16-17 and perpetrators under 18);
- safe accommodation: the kinds of relevant accommodation in the Domestic Abuse Act 2021 Part 4 statutory
  guidance;
- immigration status, no recourse to public funds, referral route, relationship, length of abuse and where
  a client moved on to: dacli's own lists, after the statuses the Home Office grants, the routes and
  relationships the SafeLives Marac dataset and Insights count, and the Part 4 return's move-on categories.

Values are stable keys of the file format: new values may be added, none will be renamed.
"""

from __future__ import annotations

from enum import StrEnum

from dacli.schemas.common import Strict

PREFERS_NOT = "prefers-not-to-say"
NOT_ASKED = "not-asked"


class Gender(StrEnum):
    woman = "woman"
    man = "man"
    non_binary = "non-binary"
    other = "other"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class Answer(StrEnum):
    yes = "yes"
    no = "no"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class AgeBand(StrEnum):
    under_16 = "under-16"
    a16_17 = "16-17"
    a18_24 = "18-24"
    a25_34 = "25-34"
    a35_44 = "35-44"
    a45_54 = "45-54"
    a55_64 = "55-64"
    a65_74 = "65-74"
    a75_plus = "75-plus"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class Ethnicity(StrEnum):
    """ONS Census 2021, England: 19 groups under five headings (the heading is the key's first word)."""

    asian_indian = "asian-indian"
    asian_pakistani = "asian-pakistani"
    asian_bangladeshi = "asian-bangladeshi"
    asian_chinese = "asian-chinese"
    asian_other = "asian-other"
    black_caribbean = "black-caribbean"
    black_african = "black-african"
    black_other = "black-other"
    mixed_white_black_caribbean = "mixed-white-and-black-caribbean"
    mixed_white_black_african = "mixed-white-and-black-african"
    mixed_white_asian = "mixed-white-and-asian"
    mixed_other = "mixed-other"
    white_british = "white-british"
    white_irish = "white-irish"
    white_gypsy_traveller = "white-gypsy-or-irish-traveller"
    white_roma = "white-roma"
    white_other = "white-other"
    other_arab = "other-arab"
    other_any = "other-any-other"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class Impairment(StrEnum):
    """GSS harmonised standard: the types of impairment."""

    vision = "vision"
    hearing = "hearing"
    mobility = "mobility"
    dexterity = "dexterity"
    learning = "learning-understanding-or-concentrating"
    memory = "memory"
    mental_health = "mental-health"
    stamina = "stamina-breathing-or-fatigue"
    social = "socially-or-behaviourally"
    other = "other"


class SexualOrientation(StrEnum):
    straight = "straight-or-heterosexual"
    gay_lesbian = "gay-or-lesbian"
    bisexual = "bisexual"
    other = "other"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class Religion(StrEnum):
    none = "no-religion"
    christian = "christian"
    buddhist = "buddhist"
    hindu = "hindu"
    jewish = "jewish"
    muslim = "muslim"
    sikh = "sikh"
    other = "any-other-religion"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class Immigration(StrEnum):
    citizen = "british-or-irish-citizen"
    settled = "settled-or-indefinite-leave"
    pre_settled = "eu-pre-settled-status"
    partner_visa = "spouse-or-partner-visa"
    other_visa = "other-visa"
    asylum_seeker = "asylum-seeker"
    refugee = "refugee-or-humanitarian-protection"
    no_leave = "no-leave-or-undocumented"
    other = "other"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class Children(StrEnum):
    none = "none"
    one = "one"
    two = "two"
    three = "three"
    four_plus = "four-or-more"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class AbuseLength(StrEnum):
    under_6m = "under-6-months"
    m6_12 = "6-12-months"
    y1_2 = "1-2-years"
    y2_5 = "2-5-years"
    y5_10 = "5-10-years"
    over_10y = "over-10-years"
    prefers_not = PREFERS_NOT
    not_asked = NOT_ASKED


class Route(StrEnum):
    police = "police"
    marac = "marac"
    self_ = "self"
    family_friend = "family-or-friend"
    health = "health"
    mental_health = "mental-health"
    childrens_social_care = "childrens-social-care"
    adult_social_care = "adult-social-care"
    housing = "housing"
    education = "education"
    probation = "probation"
    da_service = "domestic-abuse-service"
    other_agency = "other-agency"
    not_asked = NOT_ASKED


class Sex(StrEnum):
    female = "female"
    male = "male"
    not_known = "not-known"
    not_asked = NOT_ASKED


class Relationship(StrEnum):
    partner = "intimate-partner"
    ex_partner = "ex-intimate-partner"
    parent = "parent"
    child = "son-or-daughter"
    sibling = "sibling"
    other_family = "other-family"
    other = "other"
    not_asked = NOT_ASKED


class Accommodation(StrEnum):
    """The kinds of relevant safe accommodation of the Domestic Abuse Act 2021 Part 4 (its statutory
    guidance), and none."""

    refuge = "refuge"
    specialist_refuge = "specialist-refuge"
    dispersed = "dispersed"
    second_stage = "second-stage"
    sanctuary_scheme = "sanctuary-scheme"
    other = "other-safe-accommodation"
    none = "none"
    not_asked = NOT_ASKED


class MoveOn(StrEnum):
    """Where a client moved on to when support in safe accommodation ended (dacli's own list, after the Part 4
    return's move-on categories)."""

    social_tenancy = "social-housing-tenancy"
    private_tenancy = "private-rented-tenancy"
    owner = "owner-occupier"
    family_friends = "family-or-friends"
    another_refuge = "another-refuge"
    temporary = "temporary-accommodation"
    supported = "supported-housing"
    returned = "returned-to-the-perpetrator"
    other = "other"
    not_known = "not-known"


class Monitoring(Strict):
    """Coded monitoring answers of the client (left out: not asked). Counted only in anonymised reports, and
    only for a client who consented to monitoring."""

    gender: Gender | None = None
    """Gender (coded): woman, man, non-binary, other."""
    trans: Answer | None = None
    """Is the gender they identify with different from their sex registered at birth? (trans status)"""
    age_band: AgeBand | None = None
    """Age band at referral (coded)."""
    ethnicity: Ethnicity | None = None
    """Ethnic group (coded, ONS 2021)."""
    disabled: Answer | None = None
    """Disabled (Equality Act 2010: a long-term condition that limits day-to-day activities)?"""
    impairments: list[Impairment] = []
    """Type(s) of impairment, where disabled."""
    sexual_orientation: SexualOrientation | None = None
    """Sexual orientation (coded)."""
    religion: Religion | None = None
    """Religion (coded)."""
    english_first_language: Answer | None = None
    """Is English their first language?"""
    interpreter_needed: Answer | None = None
    """Interpreter needed?"""
    immigration: Immigration | None = None
    """Immigration status (coded)."""
    no_recourse: Answer | None = None
    """No recourse to public funds?"""
    pregnant: Answer | None = None
    """Pregnant at referral (coded)?"""
    children_in_household: Children | None = None
    """Children in the household."""
    abuse_length: AbuseLength | None = None
    """How long the abuse has gone on."""
