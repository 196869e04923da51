"""Tests of the PyO3 boundary: protobuf bytes in and out of ``cream._engine``."""

import math

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from cream import _engine
from cream.engine.policy import default_policy
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex
from cream.v1 import market_snapshot_pb2 as md

NOW = 1_735_830_000


def _ts(seconds: int = NOW) -> Timestamp:
    return Timestamp(seconds=seconds)


def _policy(version: int = 3) -> ex.RiskPolicy:
    # The seed defaults, with a one-symbol sector map so unknown sectors are visible.
    policy = default_policy(version)
    policy.concentration.sector_by_symbol.clear()
    policy.concentration.sector_by_symbol["AAPL"] = "TECH"
    return policy


def _portfolio(positions: list[ex.Position] | None = None) -> ex.PortfolioState:
    account = ex.AccountState(
        equity="100000",
        buying_power="100000",
        day_start_equity="100000",
        high_water_mark="100000",
        trading_state=common.TRADING_STATE_ACTIVE,
    )
    return ex.PortfolioState(account=account, positions=positions or [])


def _market() -> ex.MarketState:
    quote = md.Quote(symbol="AAPL", bid="199.90", ask="200.10", timestamp=_ts(NOW - 5))
    return ex.MarketState(quotes=[quote], now=_ts())


def _plan(stop_loss: str = "190", symbol: str = "AAPL") -> decision.DecisionPlan:
    buy = decision.Decision(
        decision_id="d1",
        instrument=common.Instrument(instrument_type=common.INSTRUMENT_TYPE_EQUITY, symbol=symbol),
        action=common.ACTION_BUY,
        direction=common.DIRECTION_LONG,
        size=decision.Size(value="10", unit=common.SIZE_UNIT_SHARES),
        order_plan=decision.OrderPlan(
            order_type=common.ORDER_TYPE_LIMIT,
            limit_price="200",
            time_in_force=common.TIME_IN_FORCE_DAY,
            execution_tactic=common.EXECUTION_TACTIC_PASSIVE_LIMIT,
        ),
        risk_levels=decision.RiskLevels(stop_loss=stop_loss, take_profit="220"),
        confidence=0.7,
    )
    return decision.DecisionPlan(
        cycle_id="c1", as_of=_ts(), environment=common.ENVIRONMENT_PAPER, decisions=[buy]
    )


def _check(core: _engine.RiskCore, plan: decision.DecisionPlan) -> ex.CheckConstraintsResponse:
    raw = core.check(plan.SerializeToString(), _market().SerializeToString())
    return ex.CheckConstraintsResponse.FromString(raw)


@pytest.fixture
def core() -> _engine.RiskCore:
    risk_core = _engine.RiskCore(_policy().SerializeToString())
    risk_core.set_portfolio(_portfolio().SerializeToString())
    return risk_core


def test_well_formed_plan_is_approved_under_the_policy_version(core):
    response = _check(core, _plan())
    assert response.approved
    assert response.policy_version == core.policy_version == 3
    assert response.decisions[0].quantity == "10"
    assert response.trading_state == common.TRADING_STATE_ACTIVE


def test_opening_decision_without_stop_is_denied_with_missing_stop_loss(core):
    response = _check(core, _plan(stop_loss=""))
    assert not response.approved
    [violation] = response.violations
    assert violation.code == "MISSING_STOP_LOSS"
    assert violation.decision_id == "d1"
    assert violation.severity == common.SEVERITY_CRITICAL


def test_malformed_plan_raises_invalid_plan_error_with_code_and_decision(core):
    with pytest.raises(_engine.InvalidPlanError) as info:
        _check(core, _plan(symbol="aapl"))
    code, message, decision_id = info.value.args
    assert (code, decision_id) == ("INVALID_SYMBOL", "d1")
    assert "aapl" in message
    assert isinstance(info.value, _engine.CoreError)


def test_garbage_bytes_raise_decode_error(core):
    with pytest.raises(_engine.DecodeError) as info:
        core.check(b"\xff\xff\xff", b"")
    assert info.value.args[0] == "DECODE_ERROR"


def test_policy_without_sections_is_refused_and_hot_reload_keeps_the_old_one(core):
    with pytest.raises(_engine.InvalidPolicyError) as info:
        core.set_policy(ex.RiskPolicy(version=9).SerializeToString())
    assert info.value.args[0] == "INVALID_POLICY"
    assert core.policy_version == 3
    core.set_policy(_policy(version=4).SerializeToString())
    assert core.policy_version == 4


def test_core_without_portfolio_is_halted_and_denies_orders():
    risk_core = _engine.RiskCore(_policy().SerializeToString())
    assert risk_core.trading_state() == common.TRADING_STATE_HALTED
    codes = [v.code for v in _check(risk_core, _plan()).violations]
    assert "MISSING_ACCOUNT" in codes


def test_exposure_reports_notionals_as_decimal_strings(core):
    held = ex.Position(
        symbol="AAPL",
        instrument_type=common.INSTRUMENT_TYPE_EQUITY,
        underlying="AAPL",
        quantity="-10",
        market_price="190",
    )
    core.set_portfolio(_portfolio([held]).SerializeToString())
    exposure = core.exposure(_market().SerializeToString())
    assert (exposure.gross_notional, exposure.net_notional) == ("2000", "-2000")
    assert exposure.leverage == "0.02"
    assert exposure.gross_by_sector == {"TECH": "2000"}


def test_stop_triggers_exit_a_long_at_the_bid():
    held = ex.Position(
        symbol="AAPL",
        instrument_type=common.INSTRUMENT_TYPE_EQUITY,
        underlying="AAPL",
        quantity="10",
        market_price="200",
        stop_loss="199.95",
    )
    [trigger] = _engine.evaluate_stops(
        _portfolio([held]).SerializeToString(), _market().SerializeToString()
    )
    assert (trigger.symbol, trigger.kind, trigger.exit_side) == (
        "AAPL",
        "STOP_LOSS",
        common.ORDER_SIDE_SELL,
    )
    assert (trigger.quantity, trigger.level, trigger.trigger_price) == ("10", "199.95", "199.9")


def _order() -> ex.Order:
    return ex.Order(
        order_id="o1",
        symbol="AAPL",
        instrument_type=common.INSTRUMENT_TYPE_EQUITY,
        side=common.ORDER_SIDE_BUY,
        order_type=common.ORDER_TYPE_LIMIT,
        time_in_force=common.TIME_IN_FORCE_DAY,
        quantity="10",
        limit_price="200",
        status=ex.ORDER_STATUS_NEW,
    )


def _apply(book: _engine.OrderBook, report: ex.ExecutionReport) -> tuple[ex.Order, bool]:
    raw, applied = book.apply(report.SerializeToString())
    return ex.Order.FromString(raw), applied


def test_order_lifecycle_ack_partial_fill_cancel_and_late_fill():
    book = _engine.OrderBook()
    inserted = ex.Order.FromString(book.insert(_order().SerializeToString()))
    assert (inserted.leaves_qty, inserted.cum_qty) == ("10", "0")
    ack = ex.ExecutionReport(order_id="o1", exec_id="e1", exec_type=ex.EXEC_TYPE_NEW)
    fill = ex.ExecutionReport(
        order_id="o1", exec_id="e2", exec_type=ex.EXEC_TYPE_TRADE, last_qty="4", last_price="199.5"
    )
    cancel = ex.ExecutionReport(order_id="o1", exec_id="e3", exec_type=ex.EXEC_TYPE_CANCELED)
    late = ex.ExecutionReport(
        order_id="o1", exec_id="e4", exec_type=ex.EXEC_TYPE_TRADE, last_qty="1", last_price="199"
    )
    assert _apply(book, ack)[0].status == ex.ORDER_STATUS_ACCEPTED
    partial, _ = _apply(book, fill)
    assert (partial.status, partial.cum_qty, partial.leaves_qty) == (
        ex.ORDER_STATUS_PARTIALLY_FILLED,
        "4",
        "6",
    )
    canceled, _ = _apply(book, cancel)
    assert (canceled.quantity, canceled.leaves_qty, canceled.canceled_qty) == ("4", "0", "6")
    assert book.open_orders() == []
    after_late, applied = _apply(book, late)
    assert applied
    assert (after_late.status, after_late.cum_qty, after_late.canceled_qty) == (
        ex.ORDER_STATUS_CANCELED,
        "5",
        "5",
    )
    assert after_late.avg_fill_price == "199.4"
    assert len(book) == 1


def test_duplicate_exec_id_is_ignored_and_leaves_the_order_unchanged():
    book = _engine.OrderBook()
    book.insert(_order().SerializeToString())
    fill = ex.ExecutionReport(
        order_id="o1", exec_id="e1", exec_type=ex.EXEC_TYPE_TRADE, last_qty="3", last_price="200"
    )
    first, applied_first = _apply(book, fill)
    again, applied_again = _apply(book, fill)
    assert applied_first
    assert not applied_again
    assert again == first


def test_order_errors_map_to_their_exception_types():
    book = _engine.OrderBook()
    book.insert(_order().SerializeToString())
    with pytest.raises(_engine.DuplicateOrderError):
        book.insert(_order().SerializeToString())
    with pytest.raises(_engine.OrderNotFoundError):
        book.get("missing")
    reject = ex.ExecutionReport(order_id="o1", exec_id="r", exec_type=ex.EXEC_TYPE_REJECTED)
    _apply(book, reject)
    fill = ex.ExecutionReport(
        order_id="o1", exec_id="f", exec_type=ex.EXEC_TYPE_TRADE, last_qty="1", last_price="1"
    )
    with pytest.raises(_engine.InvalidTransitionError) as info:
        _apply(book, fill)
    assert info.value.args[0] == "INVALID_TRANSITION"
    overfill_book = _engine.OrderBook()
    overfill_book.insert(_order().SerializeToString())
    too_much = ex.ExecutionReport(
        order_id="o1", exec_id="f", exec_type=ex.EXEC_TYPE_TRADE, last_qty="11", last_price="1"
    )
    with pytest.raises(_engine.OverfillError):
        _apply(overfill_book, too_much)


def test_black_scholes_matches_hull_textbook_values():
    price, delta, gamma, vega, theta, rho = _engine.bs_price_greeks(
        common.OPTION_TYPE_CALL, 49.0, 50.0, 0.3846, 0.05, 0.20
    )
    assert price == pytest.approx(2.40, abs=0.005)
    assert delta == pytest.approx(0.522, abs=0.0005)
    assert gamma == pytest.approx(0.066, abs=0.0005)
    assert vega == pytest.approx(0.121, abs=0.0005)
    assert theta == pytest.approx(-4.31 / 365, abs=0.0001)
    assert rho == pytest.approx(0.0891, abs=0.0001)
    put = _engine.bs_price_greeks(common.OPTION_TYPE_PUT, 42.0, 40.0, 0.5, 0.10, 0.20)[0]
    assert put == pytest.approx(0.81, abs=0.005)


def test_implied_vol_inverts_the_price_and_refuses_arbitrage_prices():
    price = _engine.bs_price_greeks(common.OPTION_TYPE_PUT, 100.0, 95.0, 0.5, 0.03, 0.35, 0.01)[0]
    vol = _engine.implied_vol(common.OPTION_TYPE_PUT, price, 100.0, 95.0, 0.5, 0.03, 0.01)
    assert math.isclose(vol, 0.35, abs_tol=1e-6)
    with pytest.raises(_engine.OptionMathError):
        _engine.implied_vol(common.OPTION_TYPE_CALL, 200.0, 100.0, 95.0, 0.5, 0.03)
    with pytest.raises(_engine.OptionMathError):
        _engine.bs_price_greeks(common.OPTION_TYPE_CALL, 100.0, 95.0, 0.0, 0.03, 0.2)


def _request(plan: decision.DecisionPlan | None) -> bytes:
    request = (
        ex.CheckConstraintsRequest() if plan is None else ex.CheckConstraintsRequest(plan=plan)
    )
    return request.SerializeToString()


def _spread_plan() -> decision.DecisionPlan:
    legs = [
        common.OptionLeg(occ_symbol=occ, underlying="SPY", side=common.ORDER_SIDE_BUY, ratio=1)
        for occ in ("SPY250321C00510000", "SPY250321C00500000", "SPY250321C00510000")
    ]
    plan = _plan(symbol="MSFT")
    plan.decisions.extend([_plan().decisions[0], _plan().decisions[0]])
    plan.decisions[2].instrument.CopyFrom(
        common.Instrument(instrument_type=common.INSTRUMENT_TYPE_OPTION, symbol="SPY", legs=legs)
    )
    return plan


def test_check_request_answers_exactly_as_check_of_its_plan(core):
    market = _market().SerializeToString()
    for plan in (_plan(), _plan(stop_loss=""), _plan(stop_loss="199")):
        assert core.check_request(_request(plan), market) == core.check(
            plan.SerializeToString(), market
        )


def test_request_without_plan_raises_missing_plan(core):
    with pytest.raises(_engine.InvalidPlanError) as info:
        core.check_request(_request(None), _market().SerializeToString())
    assert info.value.args == ("MISSING_PLAN", "the request has no plan", "")


def test_invalid_plan_in_a_request_raises_its_plan_error(core):
    with pytest.raises(_engine.InvalidPlanError) as info:
        core.check_request(_request(_plan(symbol="aapl")), _market().SerializeToString())
    assert (info.value.args[0], info.value.args[2]) == ("INVALID_SYMBOL", "d1")


@pytest.mark.parametrize("garbage", [b"\xff\xff\xff", b"\x0a\x05ab", b"\x0a\x02\x0a\xff"])
def test_garbage_request_bytes_raise_decode_error(core, garbage):
    with pytest.raises(_engine.DecodeError) as info:
        core.check_request(garbage, _market().SerializeToString())
    assert info.value.args[0] == "DECODE_ERROR"
    with pytest.raises(_engine.DecodeError):
        _engine.request_instruments(garbage)


def test_request_instruments_lists_sorted_unique_symbols_and_option_legs():
    environment, symbols, occ_symbols = _engine.request_instruments(_request(_spread_plan()))
    assert environment == common.ENVIRONMENT_PAPER
    assert symbols == ["AAPL", "MSFT", "SPY"]
    assert occ_symbols == ["SPY250321C00500000", "SPY250321C00510000"]


def test_request_instruments_of_a_request_without_plan_is_empty():
    assert _engine.request_instruments(_request(None)) == (0, [], [])


def test_facade_maps_request_errors_and_types_the_environment():
    from cream.engine import core as facade
    from cream.engine.errors import InvalidArgumentError

    risk_core = facade.RiskCore(_policy())
    risk_core.set_portfolio(_portfolio())
    market = _market().SerializeToString()
    raw = risk_core.check_request_bytes(_request(_plan()), market)
    assert ex.CheckConstraintsResponse.FromString(raw).approved
    with pytest.raises(InvalidArgumentError) as info:
        risk_core.check_request_bytes(_request(None), market)
    assert info.value.code == "MISSING_PLAN"
    with pytest.raises(InvalidArgumentError) as decode_info:
        facade.request_instruments(b"\xff")
    assert decode_info.value.code == "DECODE_ERROR"
    environment, symbols, _ = facade.request_instruments(_request(_plan()))
    assert (environment, symbols) == (common.ENVIRONMENT_PAPER, ["AAPL"])
