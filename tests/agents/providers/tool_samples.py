"""Tool data and tool-offering requests for the providers' tool-loop tests."""

from __future__ import annotations

from typing import Any

from agents.providers.base import GenerationRequest
from agents.schemas import TechnicalAnalysis
from agents.tools import ToolData
from tests.agents.builders import AS_OF, context_for, portfolio_for
from tests.agents.providers.samples import request_for

# The technical analyst's tools (agents/roles).
ANALYST_TOOLS = ("get_quotes", "recalc_indicator", "memory_query")


def tool_data() -> ToolData:
    """One symbol (AAPL) in the cycle: any other symbol is UNKNOWN_SYMBOL to the tools."""
    context = context_for("AAPL", "bullish")
    return ToolData(AS_OF, {"AAPL": context}, portfolio_for([context]))


def tool_request(
    model: str = "gemini-3-pro-preview", **changes: Any
) -> GenerationRequest[TechnicalAnalysis]:
    """A technical analyst's request offering its tools over `tool_data()`."""
    fields: dict[str, Any] = {"tools": ANALYST_TOOLS, "tool_data": tool_data()}
    fields.update(changes)
    return request_for(TechnicalAnalysis, model=model, **fields)
