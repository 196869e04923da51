import { describe, expect, it } from "vitest";

import { fieldProblemsOf, toApiError } from "./errors";
import { parseFrame } from "./live";

describe("API errors", () => {
  it("keeps the API's code, message, details and correlation id", () => {
    const error = toApiError(422, {
      code: "CONFIG_INVALID",
      message: "the config has 1 problem(s)",
      details: { errors: [{ field: "trading.max_consensus_iterations", message: "too small" }] },
      correlation_id: "abc",
    });
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.status).toBe(422);
    expect(error.correlationId).toBe("abc");
    expect(error.fieldProblems).toEqual([{ field: "trading.max_consensus_iterations", message: "too small" }]);
  });

  it("a body without the shape still becomes a visible error", () => {
    const error = toApiError(502, "<html>Bad gateway</html>", new Headers({ "x-correlation-id": "h1" }));
    expect(error.code).toBe("HTTP_502");
    expect(error.message).toContain("Bad gateway");
    expect(error.correlationId).toBe("h1");
  });

  it("reads FastAPI-style loc paths too", () => {
    expect(fieldProblemsOf({ errors: [{ loc: ["body", "symbols", 0], msg: "bad" }] })).toEqual([
      { field: "symbols.0", message: "bad" },
    ]);
    expect(fieldProblemsOf(null)).toEqual([]);
  });
});

describe("/ws frames", () => {
  it("parses a thin event and ignores control frames", () => {
    const frame = JSON.stringify({ channel: "CYCLES", type: "cycle.stage", id: "e1", payload: { cycle_id: "c1" } });
    expect(parseFrame(frame)).toEqual({ channel: "CYCLES", type: "cycle.stage", id: "e1", payload: { cycle_id: "c1" } });
    expect(parseFrame(JSON.stringify({ type: "subscribed", channels: ["CYCLES"] }))).toBeNull();
    expect(parseFrame(JSON.stringify({ channel: "NOPE", type: "x" }))).toBeNull();
    expect(parseFrame("not json")).toBeNull();
  });
});
