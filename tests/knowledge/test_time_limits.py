"""Time limits recovered only from what a source states, with the source named."""

from __future__ import annotations

from knowledge.model import Channel, LegalBasis, Procedure
from knowledge.time_limits import TABLE, TABLE_AND_STEPS, mentions_time_limit, stated_time_limits

BARE = "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến4Miễn phíTrực tiếp4Miễn phí"
CHANNELS = (Channel(kind="Trực tuyến", fee="Miễn phí"), Channel(kind="Trực tiếp", fee="Miễn phí"))


def _record(
    steps: tuple[str, ...] = (), raw: str = BARE, legal_basis: tuple[LegalBasis, ...] = ()
) -> Procedure:
    return Procedure(
        code="9.1",
        name="X",
        steps=steps,
        channels=CHANNELS,
        legal_basis=legal_basis,
        unparsed={"channels": raw},
    )


def test_the_table_states_it() -> None:
    table = (Channel(kind="Trực tiếp", time_limit="5 ngày làm việc"),)
    proc = Procedure(code="9.1", name="X", channels=table)
    [limit] = stated_time_limits(proc)
    assert (limit.text, limit.source) == ("5 ngày làm việc", TABLE)


def test_a_bare_number_takes_its_unit_from_a_deadline_sentence_of_the_steps() -> None:
    steps = ("c) Trong thời hạn 04 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ, cơ quan cấp giấy.",)
    [limit] = stated_time_limits(_record(steps))
    assert (limit.text, limit.source, limit.channels) == ("4 ngày làm việc", TABLE_AND_STEPS, ())


def test_a_step_of_another_length_or_a_deadline_to_complete_the_dossier_is_not_the_limit() -> None:
    steps = (
        "Trong thời hạn 02 ngày làm việc kể từ ngày nhận hồ sơ, cơ quan thẩm định.",
        "Trong thời hạn 04 ngày kể từ ngày nhận hồ sơ, cơ quan thông báo để bổ sung, hoàn thiện hồ sơ.",
        "Niêm yết trong 04 tháng.",
    )
    assert stated_time_limits(_record(steps)) == ()


def test_units_that_disagree_state_nothing() -> None:
    steps = (
        "Trong thời hạn 04 ngày làm việc kể từ ngày nhận hồ sơ, A.",
        "Trong thời hạn 04 tháng kể từ ngày nhận hồ sơ, B.",
    )
    assert stated_time_limits(_record(steps)) == ()


def test_the_unit_may_come_from_the_legal_basis_titles_but_not_from_nothing() -> None:
    assert stated_time_limits(_record()) == ()
    titles = (LegalBasis(title="Thời hạn giải quyết 4 ngày làm việc kể từ ngày nhận đủ hồ sơ"),)
    [limit] = stated_time_limits(_record(legal_basis=titles))
    assert limit.text == "4 ngày làm việc"
    assert mentions_time_limit(_record(legal_basis=titles))


def test_same_day_settlement_for_a_bare_one() -> None:
    raw = BARE.replace("4", "1")
    steps = ("Nếu nhận hồ sơ sau 15 giờ thì trả kết quả cho người yêu cầu trong ngày làm việc tiếp theo.",)
    [limit] = stated_time_limits(_record(steps, raw=raw))
    assert limit.text == "1 ngày làm việc"
