"""One diacritic restorer (knowledge/diacritics.py) for its two users: answering (folded
syllables for the dense model, saved with the answer models) and the đề án journey (an
owner's free text offered back with diacritics)."""

from __future__ import annotations

from knowledge.diacritics import DiacriticRestorer

SENTENCES = (
    "Cơ sở được hỗ trợ mua máy móc thiết bị",
    "Hộ kinh doanh làm bún khô ở xã Tân Hòa",
    "hỗ trợ bao nhiêu tiền",
    "plain text without any accent",
)


def test_answering_and_journey_read_the_same_model() -> None:
    restorer = DiacriticRestorer(SENTENCES)
    assert restorer.restore_words(["ho", "tro", "may", "moc"]) == ["hỗ", "trợ", "máy", "móc"]
    assert restorer.restore("Ho tro may moc").text == "Hỗ trợ máy móc"


def test_free_text_keeps_punctuation_numbers_case_and_unknown_words() -> None:
    restorer = DiacriticRestorer(SENTENCES)
    result = restorer.restore("HO KINH DOANH lam bun, 500 kg/ngay; xa Tan Hoa")
    assert result.text == "HỘ KINH DOANH làm bún, 500 kg/ngay; xã Tân Hòa"
    assert result.changed
    assert result.unknown == ("kg", "ngay")
    typed = "Cơ sở đã có diacritics"
    kept = restorer.restore(typed)
    assert (kept.text, kept.changed) == (typed, False)


def test_saved_counts_restore_the_same() -> None:
    restorer = DiacriticRestorer(SENTENCES)
    loaded = DiacriticRestorer.from_dict(restorer.to_dict())
    words = ["co", "so", "duoc", "ho", "tro", "bao", "nhieu"]
    assert loaded.restore_words(words) == restorer.restore_words(words)
    assert len(loaded) == len(restorer)
