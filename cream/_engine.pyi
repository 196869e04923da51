"""Typed stub of the compiled Rust core (engine-rs, feature "python")."""

from typing import final

class CoreError(Exception):
    """Base of every core error. args == (code: str, message: str)."""

class DecodeError(CoreError):
    """Bytes are not a valid protobuf message."""

class InvalidPlanError(CoreError):
    """Structural plan error. args == (code, message, decision_id)."""

class InvalidPolicyError(CoreError):
    """RiskPolicy missing or malformed (code "INVALID_POLICY")."""

class InvalidOrderError(CoreError):
    """An order that cannot be inserted or restored."""

class DuplicateOrderError(CoreError):
    """The order id is already in the book."""

class OrderNotFoundError(CoreError):
    """No order with this id."""

class InvalidTransitionError(CoreError):
    """The execution report is not allowed in the order's status (code "INVALID_TRANSITION")."""

class OverfillError(CoreError):
    """A fill larger than the open quantity (code "OVERFILL")."""

class OptionMathError(CoreError):
    """Bad Black-Scholes inputs, or no implied volatility."""

class InvalidTacticError(CoreError):
    """A slice schedule request the tactic cannot use (zero quantity, empty profile, ...)."""

class ParticipationShortfallError(CoreError):
    """The participation cap cannot absorb the quantity. args == (code, message, shortfall)."""

@final
class RiskCore:
    """The risk core: a policy and a portfolio, checking plans against a market."""

    def __init__(self, policy: bytes) -> None: ...
    @property
    def policy_version(self) -> int: ...
    def set_policy(self, policy: bytes) -> None: ...
    def set_portfolio(self, portfolio: bytes) -> None: ...
    def check(self, plan: bytes, market: bytes) -> bytes: ...
    def check_request(self, request: bytes, market: bytes) -> bytes: ...
    def trading_state(self) -> int: ...
    def exposure(self, market: bytes) -> Exposure: ...

@final
class Exposure:
    """The portfolio's exposure: notionals as decimal strings, options Greeks x100."""

    @property
    def gross_notional(self) -> str: ...
    @property
    def net_notional(self) -> str: ...
    @property
    def leverage(self) -> str: ...
    @property
    def delta(self) -> float: ...
    @property
    def gamma(self) -> float: ...
    @property
    def vega(self) -> float: ...
    @property
    def theta(self) -> float: ...
    @property
    def delta_by_underlying(self) -> dict[str, float]: ...
    @property
    def gross_by_sector(self) -> dict[str, str]: ...

@final
class StopTrigger:
    """A position whose stop loss or take profit was reached."""

    @property
    def symbol(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def exit_side(self) -> int: ...
    @property
    def quantity(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def trigger_price(self) -> str: ...

def evaluate_stops(portfolio: bytes, market: bytes) -> list[StopTrigger]: ...
def request_instruments(request: bytes) -> tuple[int, list[str], list[str]]: ...

@final
class OrderBook:
    """Orders by id driven by execution reports (FIX state machine)."""

    def __init__(self) -> None: ...
    def insert(self, order: bytes) -> bytes: ...
    def restore(self, order: bytes, exec_ids: list[str]) -> None: ...
    def apply(self, report: bytes) -> tuple[bytes, bool]: ...
    def get(self, order_id: str) -> bytes: ...
    def open_orders(self) -> list[bytes]: ...
    def __len__(self) -> int: ...

def bs_price_greeks(
    option_type: int,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    vol: float,
    dividend: float = 0.0,
) -> tuple[float, float, float, float, float, float]: ...
def implied_vol(
    option_type: int,
    price: float,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    dividend: float = 0.0,
) -> float: ...

@final
class Slice:
    """One child order of a schedule; decimals as strings, limit_price "" when not priced yet."""

    @property
    def index(self) -> int: ...
    @property
    def quantity(self) -> str: ...
    @property
    def release_at_ms(self) -> int: ...
    @property
    def release(self) -> str: ...
    @property
    def pricing(self) -> str: ...
    @property
    def limit_price(self) -> str: ...

@final
class Schedule:
    """A parent order split into children; tactic is the one used (ADAPTIVE resolves)."""

    @property
    def requested(self) -> int: ...
    @property
    def tactic(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def slices(self) -> list[Slice]: ...

def slice_schedule(
    tactic: int,
    side: int,
    quantity: str,
    *,
    lot: str = "1",
    bid: str = "",
    ask: str = "",
    aggression_bps: str = "5",
    start_ms: int = 0,
    duration_ms: int = 0,
    slices: int = 0,
    jitter_pct: int = 0,
    seed: int = 0,
    volume_profile: list[str] = ...,
    participation_cap: str = "1",
    peak: str = "",
    child_pricing: str = "AGGRESSIVE",
    urgency: str = "NORMAL",
    average_volume: str = "",
) -> Schedule: ...
def child_limit_price(side: int, pricing: str, bid: str, ask: str, aggression_bps: str) -> str: ...
def count_tokens_cl100k(text: str) -> int: ...
