// Names for the generated schema's models, so components import types, not paths.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Account = Schemas["Account"];
export type AgentOutput = Schemas["AgentOutput"];
export type ConfigVersion = Schemas["ConfigVersionOut"];
export type ConsensusRound = Schemas["ConsensusRound"];
export type CycleSummary = Schemas["CycleSummary"];
export type DecisionSummary = Schemas["DecisionSummary"];
export type DiffEntry = Schemas["DiffEntryOut"];
export type Health = Schemas["Health"];
export type Order = Schemas["Order"];
export type Position = Schemas["Position"];
export type DecisionStatus = NonNullable<DecisionSummary["status"]>;
export type EquityCurve = Schemas["EquityCurve"];
export type EquityPoint = Schemas["EquityPoint"];
export type WorkerHealth = Schemas["WorkerHealth"];
