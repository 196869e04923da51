"""`POST /api/system/trigger-cycle`: queue an on-demand cycle for the worker (audited);
`GET /api/system/worker-health`: the worker's own `/health`, as the API sees it.

The queued cycle row, the audit entry and the `cycle.requested` command are ONE batch, so
the worker never sees a command without its row, and no row exists without its command.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Context, CorrelationId, Mutator, Reader
from api.errors import ERROR_RESPONSES, ConflictError, UnprocessableError
from api.worker_probe import WorkerStatus
from cream.config.versions import ConfigVersion
from cream.events.types import CYCLE_REQUESTED
from cream.market.universe import SYMBOL

router = APIRouter(prefix="/api/system", tags=["system"], responses=ERROR_RESPONSES)

MAX_SYMBOLS = 50


class TriggerCycleRequest(BaseModel):
    """Which symbols (default: the config's universe) and which config (draft or active)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbols: Annotated[list[str], Field(max_length=MAX_SYMBOLS)] | None = None
    use_draft: bool = False


class TriggerCycleResponse(BaseModel):
    """The queued cycle; follow it at `GET /api/cycles/{cycle_id}` or on the CYCLES channel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cycle_id: str
    status: str
    symbols: list[str]
    use_draft: bool
    config_version: int


async def _config(context: Context, use_draft: bool) -> tuple[ConfigVersion, int]:
    active = await context.config.active(context.environment)
    if active is None or active.version is None:
        raise ConflictError(
            f"no active config in {context.environment}; run `cream db seed` first",
            code="CONFIG_NOT_ACTIVE",
        )
    if not use_draft:
        return active, active.version
    draft = await context.config.draft(context.environment)
    if draft is None:
        raise ConflictError(
            f"use_draft is set but {context.environment} has no draft; save one with "
            f"PUT /api/config/draft",
            code="DRAFT_NOT_FOUND",
        )
    draft.document()  # an invalid draft fails here, with every problem listed (422)
    # A draft has no version yet: the cycle is stamped with the version it was based on.
    return draft, draft.parent_version or active.version


def _symbols(requested: list[str] | None, config: ConfigVersion) -> list[str]:
    universe = list(config.document().universe.symbols)
    if requested is None:
        return []
    symbols = [s.strip().upper() for s in requested]
    malformed = [s for s in symbols if not SYMBOL.match(s)]
    if malformed or not symbols:
        raise UnprocessableError(
            f"symbols must be 1-{MAX_SYMBOLS} tickers like AAPL or BRK.B; invalid: {malformed}",
            code="INVALID_SYMBOL",
            details={"invalid": malformed},
        )
    outside = [s for s in symbols if s not in universe]
    if outside:
        raise UnprocessableError(
            f"{outside} are not in the {config.label} universe {universe}; add them to the "
            f"config's universe.symbols first",
            code="SYMBOL_NOT_IN_UNIVERSE",
            details={"invalid": outside, "universe": universe},
        )
    return list(dict.fromkeys(symbols))


@router.post(
    "/trigger-cycle",
    operation_id="triggerCycle",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TriggerCycleResponse,
)
async def trigger_cycle(
    body: TriggerCycleRequest,
    principal: Mutator,
    context: Context,
    correlation_id: CorrelationId,
    response: Response,
) -> TriggerCycleResponse:
    """Queues a cycle and the worker's `cycle.requested` command in one transaction."""
    config, version = await _config(context, body.use_draft)
    symbols = _symbols(body.symbols, config)
    cycle_id = uuid.uuid4().hex
    now = context.clock.now()
    repos = context.repos
    command = context.events.event(
        CYCLE_REQUESTED,
        {
            "cycle_id": cycle_id,
            "symbols": symbols or None,
            "use_draft": body.use_draft,
            "requested_by": principal.actor,
            "trigger": "api",
        },
        kind="command",
        cycle_id=cycle_id,
        correlation_id=correlation_id,
    )
    await context.events.commit(
        [
            repos.cycles.enqueue_statement(
                cycle_id,
                config_version=version,
                symbols=symbols,
                requested_at=now,
                requested_by=principal.actor,
                use_draft=body.use_draft,
            ),
            repos.audit.entry_statement(
                actor=principal.actor,
                action="cycle.trigger",
                target=cycle_id,
                details={"symbols": symbols, "use_draft": body.use_draft},
                correlation_id=correlation_id,
            ),
        ],
        [command],
    )
    response.headers["Location"] = f"/api/cycles/{cycle_id}"
    return TriggerCycleResponse(
        cycle_id=cycle_id,
        status="queued",
        symbols=symbols,
        use_draft=body.use_draft,
        config_version=version,
    )


class WorkerHealth(BaseModel):
    """The worker's health as the API sees it.

    `status` is the worker's own (`ok`, `degraded`, `unavailable`), or `unreachable` when it
    did not answer at `url`, or `invalid` when what answered is not the worker. The API
    answers 200 in every case: the API itself is fine, and the dashboard shows the state.
    `report` is the worker's `/health` body as it sent it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: WorkerStatus
    reachable: bool
    url: str
    http_status: int | None
    latency_ms: float
    error: str | None
    checked_at: str
    report: dict[str, Any] | None


@router.get("/worker-health", operation_id="getWorkerHealth", response_model=WorkerHealth)
async def worker_health(_: Reader, context: Context) -> WorkerHealth:
    """Proxies the worker's `GET /health` (at `CREAM_WORKER_LISTEN`); 200 even when the
    worker is down, with `status: unreachable` and the reason."""
    result = await context.worker.check()
    return WorkerHealth(
        status=result.status,
        reachable=result.http_status is not None,
        url=result.url,
        http_status=result.http_status,
        latency_ms=result.latency_ms,
        error=result.error,
        checked_at=context.clock.now().isoformat().replace("+00:00", "Z"),
        report=result.report,
    )
