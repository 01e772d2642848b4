"""Campaigns of real-style form letters: true personal-addition counts, full templates, labels.

The letters in tests/fixtures/letters/letters.jsonl (written by
make_letters.py there) are five campaigns whose members differ in salutation,
sign-off, name, address, town, ZIP code or postcode and contact lines; a known
few add words of their own. The held-out campaign below uses other salutations,
sign-offs, names and address formats than those used to write the recogniser.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from consult.dedupe import campaign_labels, find_duplicates, normalise, split_sentences
from consult.errors import ConsultError

LETTERS = Path(__file__).resolve().parent / "fixtures" / "letters"
sys.path.insert(0, str(LETTERS))
from make_letters import TEMPLATES, build  # noqa: E402

ROWS = [json.loads(line) for line in (LETTERS / "letters.jsonl").read_text(encoding="utf-8").splitlines()]


def words(text: str) -> str:
    return f" {normalise(text)} "


def campaigns_by_name(result, truth):
    """Campaign name (by majority of its members) -> (group, member records)."""
    out = {}
    for g in result.campaigns():
        members = [r for r in result.records if r.campaign_id == g.group_id]
        name = Counter(truth[r.id]["campaign"] for r in members).most_common(1)[0][0]
        out[name] = (g, members)
    return out


@pytest.fixture(scope="module")
def letters():
    result = find_duplicates([r["text"] for r in ROWS], ids=[r["id"] for r in ROWS])
    truth = {r["id"]: r for r in ROWS}
    return result, truth, campaigns_by_name(result, truth)


def test_fixture_is_what_the_generator_writes():
    assert build() == ROWS


def test_every_letter_is_in_its_own_campaign(letters):
    result, truth, found = letters
    assert set(found) == set(TEMPLATES)
    for name, (group, members) in found.items():
        assert sorted(r.id for r in members) == sorted(i for i, row in truth.items() if row["campaign"] == name)
        assert group.size == len(members)
    others = [r for r in result.records if truth[r.id]["campaign"] is None]
    assert all(r.campaign_id is None for r in others)


def test_personal_additions_are_only_what_members_wrote(letters):
    """Only the planted additions count: signatures, towns and ZIP codes do not."""
    _, truth, found = letters
    for name, (_, members) in found.items():
        with_addition = {r.id for r in members if r.personal_addition}
        planted = {r.id for r in members if truth[r.id]["added"]}
        assert with_addition == planted, name
        for r in members:
            if r.personal_addition:
                assert normalise(r.personal_addition) == normalise(truth[r.id]["added"]), r.id


def test_campaign_templates_are_the_whole_letter(letters):
    """The template keeps every sentence (none cut at "U.S.") and no salutation or signature."""
    _, truth, found = letters
    for name, (group, members) in found.items():
        assert normalise(group.canonical_text) == normalise(" ".join(TEMPLATES[name])), name
    support = found["pslf-support"][0].canonical_text
    assert "I call on the U.S. Department of Education to finalize this rule" in split_sentences(support)[-2]


def test_a_truncated_shortest_copy_does_not_cut_the_template():
    """A copy that stops at "I call on the U.S." is the shortest (the canonical
    text); the template is still the whole letter and nobody is said to add the rest."""
    paragraphs = TEMPLATES["pslf-support"]
    body = "\n\n".join(paragraphs)
    cut = body[: body.index("I call on the U.S.") + len("I call on the U.S.")]
    people = ["Maria L. Gonzalez\nDayton, OH 45402", "Tom Brennan\nOmaha, NE 68102", "Emily Chen\nEugene, OR 97401",
              "Dr. James T. Whitfield\nSpringfield, IL 62704", "Grace Park\nLos Angeles, CA 90010",
              "Kevin Tran\nHouston, TX 77002", "Linda K. Sorensen\nSioux Falls, SD 57104",
              "Ahmed Hassan\nLansing, MI 48933", "Priya Raman\nFort Wayne, IN 46802",
              "Megan E. Foster\nBoise, ID 83702", "Marcus Johnson\nAtlanta, GA 30309"]
    texts = [f"Dear Secretary Cardona,\n\n{body}\n\nSincerely,\n{p}" for p in people] + [cut]
    res = find_duplicates(texts)
    (camp,) = res.campaigns()
    assert camp.size == len(texts)
    assert normalise(camp.canonical_text) == normalise(" ".join(paragraphs))
    assert [r.personal_addition for r in res.records] == [""] * len(texts)


# -- a held-out campaign -----------------------------------------------------------

BUS = (
    "I am writing to object to the proposal to withdraw the No. 42 bus service between Cwmbran and Newport. "
    "The route is used by approx. 1,800 passengers a day, i.e. pupils, shift workers and older people who do "
    "not drive.\n\nCllr. Davies promised at the St. David's Day meeting that no route would be cut without a "
    "full equality impact assessment. The early service at 6 a.m. is the only way many workers reach the "
    "hospital before their shift begins.\n\nPlease keep the No. 42 running seven days a week."
)
BUS_FURNITURE = [
    ("Honorable Members of the Committee:", "Respectfully yours,", "Lt. Col. Harold F. Briggs (Ret.)\n"
     "Apartment 5C, 1120 Grand Concourse\nBronx, NY 10456"),
    ("Good afternoon,", "Warm regards,", "Ngozi Adichie-Okoro\nMob: 07700 900 444"),
    ("Dear Cllr Davies,", "With best wishes", "Ms J. M. Pritchard-Evans\n3 Heol y Coed\nCwmbran, Torfaen NP44 3AB"),
    ("Dear Friends,", "In solidarity,", "Seán Ó Briain\nT: 0161 496 0123"),
    ("Sir,", "Yours truly,", "Karen & Mike Delgado\nkaren.delgado@example.com | (718) 555-0100"),
    ("FAO: Transport Policy Team", "All the best,", "D'Andre Lewis\nNewcastle upon Tyne NE1 4ST"),
    ("Dear Ms. Whitcombe", "Thank you for your attention to this matter.", "— Sam\nwww.example.org/sam"),
    ("Monday, 11 March 2024\n\nDear Sir or Madam,", "Yours faithfully,", "Mrs. Bethan Rees-Morgan\nSheffield S10 2TN"),
]
BUS_ADDITIONS = {
    1: "My neighbour Mrs. Evans, who is 87, takes the 42 to her dialysis at St. Woolos Hospital three times a week.",
    4: "This bus is my lifeline.",
    6: "I work the early shift in the hospital laundry. Without the 6 a.m. bus I would have to give up my job.",
    11: "Our school has already lost two teaching assistants who could not get to work.",
}


def bus_letters():
    texts = []
    for i in range(16):
        salutation, signoff, signature = BUS_FURNITURE[i % len(BUS_FURNITURE)]
        body = BUS
        if i in BUS_ADDITIONS:
            body = BUS_ADDITIONS[i] + "\n\n" + BUS if i % 2 else BUS + "\n\n" + BUS_ADDITIONS[i]
        if i >= len(BUS_FURNITURE):  # the same people, sent from a web form that joins the lines
            texts.append(" ".join(f"{salutation}\n{body}\n{signoff}\n{signature}".split()))
        else:
            texts.append(f"{salutation}\n\n{body}\n\n{signoff}\n{signature}")
    return texts


def test_held_out_campaign_counts_only_real_additions():
    texts = bus_letters()
    res = find_duplicates(texts + ["The buses are fine where I live."])
    (camp,) = res.campaigns()
    assert camp.size == 16
    assert normalise(camp.canonical_text) == normalise(BUS)
    got = {i: r.personal_addition for i, r in enumerate(res.records[:16]) if r.personal_addition}
    assert {i: normalise(a) for i, a in got.items()} == {i: normalise(a) for i, a in BUS_ADDITIONS.items()}


@pytest.mark.parametrize(
    "opening, closing",
    [
        ("Dear Secretary Cardona,", "Sincerely,\nJohn Q. Public\n1600 Elm St., Apt. 3\nSpringfield, IL 62704-1234"),
        ("To whom it may concern:", "Thank you,\nDr. Amy L. Chu-Watson, MD\namy.chu@example.org\n(312) 555-0107"),
        ("Dear Sir/Madam,", "Kind regards\n\nRev. Canon Peter O'Donnell\nThe Vicarage, 2 Church Walk\nSt Ives\n"
                            "Cambridgeshire PE27 5AB\nUnited Kingdom"),
        ("", "Mr. and Mrs. T. Okonkwo-Baines, Leeds LS6 1AN"),
        ("Hi,", "Thanks,\nJo\nSent from my iPhone"),
        ("Dear Members of the Committee", "Best regards,\nKaren Delgado\nConcerned parent\nwww.example.com/karen"),
        ("Re: Consultation response", "Regards, Priya Raman, 4 Birchwood Court, Fort Wayne, IN 46802, USA"),
    ],
)
def test_letter_furniture_is_not_a_personal_addition(opening, closing):
    template = " ".join(TEMPLATES["pfas-limits"])
    texts = [template] * 10 + [f"{opening}\n\n{template}\n\n{closing}".strip()]
    rec = find_duplicates(texts).records[-1]
    assert rec.kind == "campaign"
    assert rec.personal_addition == ""


def test_short_additions_and_the_minimum():
    template = " ".join(TEMPLATES["pfas-limits"])
    texts = [template] * 10 + [template + "\n\nI agree.", template + "\n\nWe drink this water every day."]
    recs = find_duplicates(texts).records
    assert recs[-2].personal_addition == ""
    assert recs[-1].personal_addition == "We drink this water every day."
    recs = find_duplicates(texts, min_addition_words=1).records
    assert recs[-2].personal_addition == "I agree."
    with pytest.raises(ConsultError, match="min_addition_words"):
        find_duplicates(texts, min_addition_words=-1)


# -- labels ----------------------------------------------------------------------------


def test_same_opening_campaigns_get_different_labels_from_their_own_text():
    for a, b in (("pslf-support", "pslf-oppose"), ("greenbelt-object", "active-travel-support")):
        ta, tb = " ".join(TEMPLATES[a]), " ".join(TEMPLATES[b])
        assert split_sentences(ta)[0] == split_sentences(tb)[0]  # the same opening
        la, lb = campaign_labels([ta, tb])
        assert la != lb
        assert words(la) in words(ta) and words(la) not in words(tb)
        assert words(lb) in words(tb) and words(lb) not in words(ta)
        assert la in ta and lb in tb  # copied as written
        for label in (la, lb):
            assert 3 <= len(normalise(label).split()) <= 8


def test_labels_of_the_fixture_campaigns(letters):
    _, _, found = letters
    names = sorted(found)
    templates = [found[n][0].canonical_text for n in names]
    labels = campaign_labels(templates)
    assert len(set(map(normalise, labels))) == len(labels)
    for i, label in enumerate(labels):
        assert label in templates[i]
        assert all(words(label) not in words(t) for j, t in enumerate(templates) if j != i)
        assert 3 <= len(normalise(label).split()) <= 8
    assert campaign_labels(templates) == labels  # deterministic
    assert campaign_labels(templates[::-1]) == labels[::-1]


def test_label_of_a_single_campaign_and_awkward_input():
    template = " ".join(TEMPLATES["greenbelt-object"])
    (label,) = campaign_labels([template])
    assert label in template and 3 <= len(normalise(label).split()) <= 8
    assert campaign_labels([]) == []
    (short,) = campaign_labels(["Save our buses"], max_words=2, min_words=1)
    assert short in "Save our buses" and len(short.split()) <= 2
    twins = campaign_labels([template, template])
    assert twins[0] != twins[1] and twins[0] in template
    assert len(campaign_labels(["", "Keep the No. 42 bus running"])) == 2
    with pytest.raises(ConsultError, match="min_words"):
        campaign_labels([template], max_words=2, min_words=3)


def test_copies_without_full_stops_are_copies():
    """Copies whose full stops were lost read as one long sentence; they add nothing."""
    template = " ".join(TEMPLATES["pfas-limits"])
    bare = template.replace(".", "")
    texts = [bare] * 5 + [template] * 6 + [template + " Our well has been dry since 2019 and we rely on the city."]
    res = find_duplicates(texts)
    (camp,) = res.campaigns()
    assert normalise(camp.canonical_text) == normalise(template)
    assert [r.personal_addition for r in res.records[:-1]] == [""] * 11
    assert res.records[-1].personal_addition == "Our well has been dry since 2019 and we rely on the city."


def test_the_canonical_member_can_have_an_addition():
    """When every copy is signed differently the shortest is the canonical one; what it adds still counts."""
    template = " ".join(TEMPLATES["pfas-limits"])
    people = ["Maria L. Gonzalez, 1420 Maple Ave., Dayton, OH 45402", "Tom Brennan, 29 Kearney Ave, Omaha, NE 68102",
              "Emily Chen, 742 Evergreen Way, Eugene, OR 97401", "Grace Park, 3300 Wilshire Blvd., Los Angeles, CA 90010",
              "Kevin Tran, 9 Lotus Way, Houston, TX 77002", "Priya Raman, 4 Birchwood Court, Fort Wayne, IN 46802",
              "Ahmed Hassan, 88 Lakeview Terrace, Lansing, MI 48933", "Marcus Johnson, 1900 Peachtree St. NE, Atlanta",
              "Megan E. Foster, 205 Sunset Dr., Boise, ID 83702", "Linda K. Sorensen, Sioux Falls, SD 57104"]
    texts = [f"{template}\n\nSincerely,\n{p}" for p in people] + [template + "\n\nI am a nurse in Flint."]
    res = find_duplicates(texts)
    (camp,) = res.campaigns()
    assert camp.canonical_id == len(texts) - 1  # the shortest
    assert [r.personal_addition for r in res.records] == [""] * 10 + ["I am a nurse in Flint."]


def test_welsh_letter_furniture_is_not_a_personal_addition():
    template = ("Dylai eiriolaeth fod yn annibynnol ar yr awdurdod lleol bob amser. "
                "Mae angen i blant ymddiried yn eu heiriolwr a gwybod ei fod yn gweithio iddyn nhw yn unig.")
    letters = [
        "Annwyl Syr/Fadam,\n\n" + template + "\n\nYn gywir,\nSiân Llewelyn\n12 Heol y Bont\nAberystwyth SY23 1AB",
        "Annwyl Gyfeillion,\n\n" + template + "\n\nCofion gorau,\nDafydd ap Gwilym",
        template + "\n\nYr eiddoch yn gywir, Elin Jones, Caerdydd CF10 3NQ",
        "Annwyl Syr/Fadam,\n\n" + template + "\n\nMae fy mab wedi aros chwe mis am eiriolwr.\n\nDiolch,\nMair",
    ]
    recs = find_duplicates([template] * 10 + letters).records[10:]
    assert [r.kind for r in recs] == ["campaign"] * 4
    assert [r.personal_addition for r in recs] == ["", "", "", "Mae fy mab wedi aros chwe mis am eiriolwr."]
