"""Tests for consult.dedupe: exact copies, near-duplicates, campaigns, overrides."""

from __future__ import annotations

import math
import random
import time

import pytest

from consult.dedupe import (
    KINDS,
    NOT_DUPLICATE,
    Deduplicator,
    find_duplicates,
    non_substantive,
    normalise,
    split_sentences,
)
from consult.errors import ConsultError

TEMPLATE = (
    "Advocacy must stay independent of the local authority that looks after the child. "
    "Children need to trust that their advocate works only for them and nobody else. "
    "The new standards should say this clearly and councils should be held to account when they fail."
)
OTHER = (
    "Young carers are rarely told that they can ask for an advocate at school. "
    "Schools should display information about advocacy in every classroom and on the website."
)
THIRD = (
    "Disabled children who do not use speech need advocates trained in their communication methods. "
    "Non-instructed advocacy must be available everywhere, not only in a few areas."
)


def by_id(result):
    return {r.id: r for r in result.records}


# -- normalise and sentences ---------------------------------------------------


def test_normalise_folds_case_width_quotes_dashes_and_space():
    assert normalise("  Don’t   STOP—now!  ") == "dont stop now"
    assert normalise("ＦＵＬＬ　ｗｉｄｔｈ") == "full width"  # NFKC
    assert normalise("“Quoted” – text…\n\tend") == "quoted text end"
    assert normalise("Straße") == normalise("STRASSE")  # case-folding, not lower()
    assert normalise(None) == ""
    assert normalise("") == ""


def test_normalise_keeps_non_latin_letters():
    assert normalise("Rydw i’n cytuno, yn llwyr.") == "rydw in cytuno yn llwyr"
    assert normalise("我们认为，儿童应该有倡导者。") == "我们认为 儿童应该有倡导者"
    assert normalise("نحن نوافق، بشدة.") == "نحن نوافق بشدة"


def test_split_sentences_keeps_wording_and_numbers():
    assert split_sentences("It costs 3.5 million. Far too much!  Agreed?\nYes") == [
        "It costs 3.5 million.",
        "Far too much!",
        "Agreed?",
        "Yes",
    ]
    assert split_sentences("我们认为。这很重要！好的") == ["我们认为。", "这很重要！", "好的"]
    assert split_sentences("   ") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I call on the U.S. Department of Education to act. Thank you.",
         ["I call on the U.S. Department of Education to act.", "Thank you."]),
        ("Dr. Patel and Mr. Hughes met Sen. Roberts, Gov. Whitmer and Mrs Evans.", None),
        ("Jane A. Smith, J. R. R. Tolkien and two Ph.D. students agreed.", None),
        ("Some sites, e.g. fields, i.e. green land, etc. are at risk, cf. the map vs. the plan.", None),
        ("Site No. 14 is on St. Peter's St. in St. Albans, see Vol. 2, p. 5.", None),
        ("We met at 7 p.m. that day. Then we left at 9 a.m. The next day.",
         ["We met at 7 p.m. that day.", "Then we left at 9 a.m.", "The next day."]),
        ("It costs approx. 1.5 million... maybe more. Far too much!",
         ["It costs approx. 1.5 million... maybe more.", "Far too much!"]),
        ("Made in the U.S. The law says so. My answer is no. The council knows.",
         ["Made in the U.S.", "The law says so.", "My answer is no.", "The council knows."]),
        ("55 N. Main St.\nFlint, MI 48502", ["55 N. Main St.", "Flint, MI 48502"]),
        ("P.S. My son waited. He is 9.", ["P.S. My son waited.", "He is 9."]),
    ],
)
def test_split_sentences_knows_abbreviations(text, expected):
    assert split_sentences(text) == (expected or [text])


# -- non-substantive -----------------------------------------------------------


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "blank"),
        ("   ", "blank"),
        (None, "blank"),
        ("-", "blank"),
        (".", "blank"),
        ("N/A", "no-comment"),
        ("n/a.", "no-comment"),
        ("None", "no-comment"),
        ("No comment", "no-comment"),
        ("No comments at this time, thank you", "no-comment"),
        ("Nothing to add", "no-comment"),
        ("I have nothing further to add.", "no-comment"),
        ("Not applicable", "no-comment"),
        ("Dim sylw", "no-comment"),
        ("Don't know", "dont-know"),
        ("Not sure", "dont-know"),
        ("See my answer to question 3", "see-other-answer"),
        ("Please see my response to Q3.", "see-other-answer"),
        ("See previous answer", "see-other-answer"),
        ("As above", "see-other-answer"),
        ("as above.", "see-other-answer"),
        ("Same as before", "see-other-answer"),
        ("Ditto", "see-other-answer"),
        ("see Q3", "see-other-answer"),
        ("No thank you", "no-comment"),
        ("As stated previously", "see-other-answer"),
        ("See attached letter", "see-attachment"),
        ("xxx", "placeholder"),
    ],
)
def test_non_substantive_reasons(text, reason):
    assert non_substantive(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "No, because the council pays for the advocacy service.",
        "Yes",
        "No",
        "Agree",
        "3",
        "Above all, listen to children.",
        "None of the standards mention disabled children.",
        "As above, advocates must be independent of councils.",
        "I don't know why councils are allowed to run advocacy themselves.",
        "Nothing is more important than a child's voice.",
        "See the Children Act 1989 section 26A.",
    ],
)
def test_real_short_answers_are_substantive(text):
    assert non_substantive(text) is None


# -- grouping ------------------------------------------------------------------


def test_exact_copies_after_normalisation():
    texts = [OTHER, OTHER.upper(), "  " + OTHER.replace(".", "") + "\n", OTHER.replace("'", "’"), THIRD]
    res = find_duplicates(texts, ids=["a", "b", "c", "d", "e"])
    recs = by_id(res)
    group = recs["a"].group_id
    assert group is not None
    assert all(recs[i].group_id == group for i in "abcd")
    assert sorted(recs[i].kind for i in "abcd") == ["exact", "exact", "exact", "unique"]
    assert all(recs[i].similarity == 1.0 for i in "abcd")
    assert recs["e"].kind == "unique" and recs["e"].group_id is None
    (g,) = res.groups
    assert g.size == 4 and not g.is_campaign and g.group_id == group
    assert g.canonical_text in texts[:4]


def test_near_duplicates_typos_and_reordering():
    s = split_sentences(TEMPLATE)
    typo = TEMPLATE.replace("independent", "indepednent").replace("accountt", "account")
    reordered = " ".join([s[2], s[0], s[1]])
    res = find_duplicates([TEMPLATE, typo, reordered, OTHER, THIRD])
    r = res.records
    assert r[0].group_id is not None
    assert r[1].group_id == r[0].group_id == r[2].group_id
    kinds = sorted(x.kind for x in r[:3])
    assert kinds.count("unique") == 1 and kinds.count("near") >= 1
    near = [x for x in r[:3] if x.kind == "near"]
    assert all(0.5 <= x.similarity <= 1.0 for x in near)
    assert r[3].group_id is None and r[4].group_id is None


def test_distinct_answers_on_same_topic_are_not_merged():
    rng = random.Random(1)
    subjects = ["Children", "Young people", "Care leavers", "Parents", "Advocates", "Social workers"]
    verbs = ["should get", "must receive", "deserve", "need", "want", "often lack"]
    objects = ["an independent advocate", "clear information", "a say in decisions", "support at reviews",
               "help with complaints", "the same advocate every time"]
    tails = ["without delay", "at every stage", "in plain language", "in their first language",
             "whenever they ask", "even if the council disagrees"]
    # Every sentence is used once: answers share words and phrases, not sentences.
    sentences = sorted({
        f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} {rng.choice(tails)}."
        for _ in range(600)
    })
    rng.shuffle(sentences)
    texts = [" ".join(sentences[i : i + 4]) for i in range(0, 240, 4)]
    res = find_duplicates(texts)
    assert res.counts()["unique"] == 60
    assert res.groups == []


def campaign_texts(n_bare=6, personal=("I am a foster carer and I have seen this first hand.",
                                       "My daughter waited four months for an advocate last year.",
                                       "Our local council ignored my complaint completely.",
                                       "As a teacher I see children who never heard of advocacy.")):
    texts = [TEMPLATE] * n_bare
    texts.append(TEMPLATE.lower())
    for i, p in enumerate(personal):
        texts.append(p + " " + TEMPLATE if i % 2 else TEMPLATE + "\n\n" + p)
    return texts


def test_campaign_with_personal_additions():
    texts = campaign_texts() + [OTHER, THIRD]
    res = find_duplicates(texts)
    recs = res.records
    campaign = [r for r in recs if r.kind == "campaign"]
    assert len(campaign) == 11
    (camp,) = res.campaigns()
    assert camp.size == 11 and camp.is_campaign
    assert normalise(camp.canonical_text) == normalise(TEMPLATE)
    assert all(r.campaign_id == camp.group_id == r.group_id for r in campaign)
    additions = sorted(r.personal_addition for r in campaign if r.personal_addition)
    assert additions == sorted([
        "I am a foster carer and I have seen this first hand.",
        "My daughter waited four months for an advocate last year.",
        "Our local council ignored my complaint completely.",
        "As a teacher I see children who never heard of advocacy.",
    ])
    assert [r.personal_addition for r in recs[:7]] == [""] * 7
    assert recs[-1].kind == recs[-2].kind == "unique"


def test_template_with_long_personal_paragraph_is_found_by_containment():
    personal = (
        "I have worked in children's services for twenty years in three different counties. "
        "In every one of them the advocacy contract was managed by the same team that made placement decisions. "
        "Children noticed this and many simply refused to speak to the advocate at all. "
        "We need a national body that commissions advocacy at arm's length from the council."
    )
    texts = [TEMPLATE, TEMPLATE + " " + personal, OTHER]
    res = find_duplicates(texts)
    a, b, c = res.records
    assert a.group_id is not None and a.group_id == b.group_id
    assert b.kind == "near" and b.similarity == pytest.approx(1.0)
    assert b.personal_addition == personal
    assert c.group_id is None
    # Jaccard alone would not group them.
    strict = find_duplicates(texts, containment_threshold=1.0, min_containment_shingles=10_000)
    assert strict.records[1].group_id is None


def test_small_groups_and_short_answers_are_not_campaigns():
    texts = campaign_texts(n_bare=1, personal=()) + ["I agree with the proposals."] * 30
    res = find_duplicates(texts)
    assert res.campaigns() == []
    kinds = res.counts()
    assert kinds["campaign"] == 0
    assert kinds["exact"] == 1 + 29
    assert find_duplicates(texts, min_campaign_size=2).counts()["campaign"] == 2


def test_non_substantive_answers_are_counted_not_grouped():
    texts = ["n/a"] * 5 + [None, float("nan"), "", "See my answer to question 3"]
    res = find_duplicates(texts)
    assert res.counts()["non-substantive"] == 9
    assert all(r.group_id is None for r in res.records)
    assert res.records[5].non_substantive == "blank"
    assert res.records[-1].non_substantive == "see-other-answer"


# -- invariants ----------------------------------------------------------------


def random_corpus(seed: int, n: int) -> list[str | None]:
    rng = random.Random(seed)
    pool = [TEMPLATE, OTHER, THIRD, "n/a", "", None, "Yes", "我们认为儿童应该有独立的倡导者。"]
    words = "advocate child council young people care plan review trust voice complaint school".split()
    out: list[str | None] = []
    for _ in range(n):
        u = rng.random()
        if u < 0.4:
            out.append(rng.choice(pool))
        elif u < 0.6:
            base = rng.choice(pool[:3])
            out.append(base + " " + " ".join(rng.choices(words, k=rng.randint(0, 20))) + ".")
        else:
            out.append(" ".join(rng.choices(words, k=rng.randint(1, 40))))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_counts_add_up_and_one_record_per_input(seed):
    texts = random_corpus(seed, 200)
    ids = [f"r{i}" for i in range(len(texts))]
    res = find_duplicates(texts, ids=ids, min_campaign_size=5)
    assert [r.id for r in res.records] == ids
    counts = res.counts()
    assert set(counts) == set(KINDS)
    assert sum(counts.values()) == len(texts)
    sizes = {}
    for r in res.records:
        assert 0.0 <= r.similarity <= 1.0
        if r.group_id is not None:
            sizes[r.group_id] = sizes.get(r.group_id, 0) + 1
        assert (r.campaign_id is not None) == (r.kind == "campaign")
    assert sizes == {g.group_id: g.size for g in res.groups}
    for g in res.groups:
        members = [r for r in res.records if r.group_id == g.group_id]
        if g.is_campaign:
            assert all(r.kind == "campaign" for r in members)
        else:
            assert sum(r.kind == "unique" for r in members) == 1
            assert all(r.kind in ("unique", "exact", "near") for r in members)


def test_deterministic_and_independent_of_input_order():
    texts = campaign_texts() + random_corpus(7, 150)
    ids = list(range(len(texts)))
    first = find_duplicates(texts, ids=ids)
    again = find_duplicates(texts, ids=ids)
    assert first.records == again.records and first.groups == again.groups
    order = ids[:]
    random.Random(3).shuffle(order)
    shuffled = find_duplicates([texts[i] for i in order], ids=order)
    assert by_id(shuffled) == by_id(first)
    assert sorted(shuffled.groups) == sorted(first.groups)


def test_group_ids_are_stable_across_unrelated_changes():
    base = campaign_texts()
    g1 = find_duplicates(base).groups[0].group_id
    g2 = find_duplicates(base + [OTHER, THIRD, "Something else entirely."]).groups[0].group_id
    assert g1 == g2


# -- awkward input -------------------------------------------------------------


def test_empty_input():
    res = find_duplicates([])
    assert res.records == [] and res.groups == []
    assert sum(res.counts().values()) == 0


def test_very_long_texts_are_fast():
    rng = random.Random(0)
    vocab = [f"word{i}" for i in range(3000)]
    long_text = ". ".join(" ".join(rng.choices(vocab, k=12)) for _ in range(2000)) + "."  # ~180,000 chars
    assert len(long_text) > 100_000
    no_spaces = "字" * 150_000
    texts = [long_text, long_text + " And one more sentence from me.", no_spaces, OTHER]
    start = time.perf_counter()
    res = find_duplicates(texts)
    assert time.perf_counter() - start < 10
    a, b, c, d = res.records
    assert a.group_id == b.group_id is not None
    assert b.personal_addition == "And one more sentence from me."
    assert c.kind == "unique" and d.kind == "unique"


def test_welsh_near_duplicates():
    welsh = ("Dylai eiriolaeth fod yn annibynnol ar yr awdurdod lleol bob amser. "
             "Mae angen i blant ymddiried yn eu heiriolwr a gwybod ei fod yn gweithio iddyn nhw yn unig.")
    edited = welsh.replace("ymddiried", "ymddirid")
    res = find_duplicates([welsh, edited, welsh.upper(), OTHER])
    r = res.records
    assert r[0].group_id == r[1].group_id == r[2].group_id is not None
    assert r[1].kind == "near" and {r[0].kind, r[2].kind} == {"unique", "exact"}
    assert r[3].group_id is None


def test_chinese_without_spaces():
    zh = "我们认为每个儿童都应该有一个独立的倡导者。地方政府不应该控制倡导服务。儿童需要信任他们的倡导者。"
    zh_edit = zh.replace("信任", "相信")
    zh_other = "学校应该告诉年轻照顾者他们可以要求倡导者。这些信息应该在每个教室里展示出来。"
    res = find_duplicates([zh, zh_edit, zh_other])
    a, b, c = res.records
    assert a.group_id == b.group_id is not None
    assert c.group_id is None


def test_arabic_exact_and_distinct():
    ar = "يجب أن تكون المناصرة مستقلة عن السلطة المحلية، ويجب أن يثق الأطفال بالمناصر."
    ar_copy = "يجب أن تكون المناصرة مستقلة عن السلطة المحلية ويجب أن يثق الأطفال بالمناصر"
    ar_other = "ينبغي للمدارس أن تخبر الأطفال بحقهم في الحصول على مناصر مستقل في كل مرحلة."
    res = find_duplicates([ar, ar_copy, ar_other])
    a, b, c = res.records
    assert a.group_id == b.group_id is not None
    assert {a.kind, b.kind} == {"unique", "exact"}
    assert c.group_id is None


def test_bad_input_raises_consult_error():
    with pytest.raises(ConsultError, match="ids"):
        find_duplicates(["a", "b"], ids=["x"])
    with pytest.raises(ConsultError, match="more than once"):
        find_duplicates(["a", "b"], ids=["x", "x"])
    with pytest.raises(ConsultError, match="bytes"):
        find_duplicates([b"abc"])
    with pytest.raises(ConsultError, match="jaccard_threshold"):
        find_duplicates(["a"], jaccard_threshold=0)
    with pytest.raises(ConsultError, match="min_campaign_size"):
        find_duplicates(["a"], min_campaign_size=1)


def test_numbers_and_missing_values_are_accepted():
    res = find_duplicates([5, 5.0, None, math.nan, "5"])
    assert sum(res.counts().values()) == 5
    assert res.records[2].kind == res.records[3].kind == "non-substantive"


# -- overrides -----------------------------------------------------------------


def test_overrides_not_duplicate_and_forced_groups():
    typo = TEMPLATE.replace("independent", "indepednent")
    texts = [TEMPLATE, typo, TEMPLATE.lower(), OTHER, THIRD]
    ids = ["t", "typo", "lower", "other", "third"]
    auto = by_id(find_duplicates(texts, ids=ids))
    gid = auto["t"].group_id
    assert auto["typo"].group_id == gid and auto["other"].group_id is None

    res = find_duplicates(texts, ids=ids, overrides={"typo": NOT_DUPLICATE, "other": gid, "ghost": gid})
    recs = by_id(res)
    assert recs["typo"].kind == "unique" and recs["typo"].group_id is None
    assert recs["other"].group_id == gid and recs["other"].kind == "near"
    assert recs["other"].similarity < 0.5
    assert res.ignored_overrides == ["ghost"]
    assert sum(res.counts().values()) == len(texts)

    res = find_duplicates(texts, ids=ids, overrides={"other": "reviewer-1", "third": "reviewer-1"})
    recs = by_id(res)
    assert recs["other"].group_id == recs["third"].group_id == "reviewer-1"
    assert {g.group_id: g.size for g in res.groups}["reviewer-1"] == 2


def test_override_that_leaves_one_member_dissolves_the_group():
    texts = [OTHER, OTHER.upper(), THIRD]
    res = find_duplicates(texts, ids=["a", "b", "c"], overrides={"b": NOT_DUPLICATE})
    assert res.groups == []
    assert [r.kind for r in res.records] == ["unique", "unique", "unique"]


def test_override_value_must_be_a_group_id():
    with pytest.raises(ConsultError, match="override"):
        find_duplicates([OTHER, THIRD], overrides={0: 3})


def test_estimator_api_and_frame():
    dd = Deduplicator(min_campaign_size=5, random_state=1)
    assert dd.fit(campaign_texts()) is dd
    frame = dd.result_.to_frame()
    assert list(frame.columns) == ["id", "kind", "group_id", "campaign_id", "similarity",
                                   "personal_addition", "non_substantive"]
    assert len(frame) == 11 and (frame["kind"] == "campaign").all()
