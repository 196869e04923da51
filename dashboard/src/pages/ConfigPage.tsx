// Config governance: edit the draft (inline validation errors), diff against the active
// version, validate, promote with confirmation, and roll back to any archived version.
import { useEffect, useMemo, useState } from "react";

import { api, unwrap } from "../api/client";
import { asApiError, type ApiError } from "../api/errors";
import type { ConfigVersion } from "../api/types";
import { ConfigForm } from "../components/ConfigForm";
import { Dialog } from "../components/Dialog";
import { DiffTable } from "../components/DiffTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { Status } from "../components/Status";
import { diffDocuments, problemsByPath, type JsonObject } from "../lib/configDoc";
import { formatTime } from "../lib/format";
import { useQuery } from "../lib/useQuery";

type Tab = "draft" | "diff" | "history";

/** The draft, or null when there is none (404): editing then starts from the active one. */
async function loadDraft() {
  try {
    return await unwrap(api.GET("/api/config/draft"));
  } catch (cause) {
    const error = asApiError(cause);
    if (error.status === 404) return null;
    throw error;
  }
}

export function ConfigPage() {
  const [tab, setTab] = useState<Tab>("draft");
  const active = useQuery(() => unwrap(api.GET("/api/config/active")), []);
  const draft = useQuery(loadDraft, []);
  const history = useQuery(() => unwrap(api.GET("/api/config/history")), []);
  const [notice, setNotice] = useState<string | null>(null);

  function refresh(message: string | null) {
    active.reload();
    draft.reload();
    history.reload();
    setNotice(message);
  }

  const activeDoc = active.data?.data as JsonObject | undefined;
  return (
    <>
      <div className="page-head">
        <h1>Config</h1>
        <div className="row">
          active{" "}
          <strong data-testid="active-version">{active.data ? `v${active.data.version}` : "—"}</strong>
          {active.data && <span className="muted small">since {formatTime(active.data.activated_at)} by {active.data.activated_by}</span>}
        </div>
      </div>
      {notice !== null && (
        <div className="notice" data-testid="config-notice">
          {notice}
        </div>
      )}
      <ErrorBanner error={active.error} />
      <div className="tabs" role="tablist">
        {(["draft", "diff", "history"] as const).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {t === "draft" ? "Edit draft" : t === "diff" ? "Diff vs active" : "History & rollback"}
          </button>
        ))}
      </div>
      {tab === "draft" && activeDoc !== undefined && draft.data !== undefined && (
        <DraftEditor
          key={draft.data?.id ?? "new"}
          activeDoc={activeDoc}
          activeVersion={active.data?.version ?? null}
          draft={draft.data ?? null}
          loadError={draft.error}
          onChanged={refresh}
        />
      )}
      {tab === "diff" && (
        <ServerDiff />
      )}
      {tab === "history" && (
        <History
          rows={history.data ?? []}
          error={history.error}
          onRolledBack={(v) => refresh(`Rolled back: version v${v} is active again.`)}
        />
      )}
    </>
  );
}

interface EditorProps {
  activeDoc: JsonObject;
  activeVersion: number | null;
  draft: ConfigVersion | null;
  loadError: ApiError | null;
  onChanged: (message: string | null) => void;
}

function DraftEditor({ activeDoc, activeVersion, draft, loadError, onChanged }: EditorProps) {
  const saved = (draft?.data as JsonObject | undefined) ?? activeDoc;
  const [doc, setDoc] = useState<JsonObject>(saved);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => setDoc(saved), [saved]);

  const dirty = JSON.stringify(doc) !== JSON.stringify(saved);
  const changes = useMemo(() => diffDocuments(activeDoc, doc), [activeDoc, doc]);
  const problems = useMemo(() => problemsByPath(error?.fieldProblems ?? []), [error]);
  const status = draft === null ? "no draft" : dirty ? "edited" : draft.status;

  async function run(label: string, action: () => Promise<string | null>) {
    setBusy(label);
    setError(null);
    try {
      const message = await action();
      onChanged(message);
    } catch (cause) {
      setError(asApiError(cause));
    } finally {
      setBusy(null);
    }
  }

  const save = () => unwrap(api.PUT("/api/config/draft", { body: doc }));
  const onSave = () =>
    run("save", async () => {
      await save();
      return "Draft saved.";
    });
  const onValidate = () =>
    run("validate", async () => {
      if (dirty || draft === null) await save();
      await unwrap(api.POST("/api/config/validate"));
      return "Draft validated: it can be promoted.";
    });
  const onPromote = () =>
    run("promote", async () => {
      // Promote exactly what the dialog showed: the API refuses (409) if the draft changed since.
      let reviewed = draft;
      if (dirty || reviewed === null) reviewed = await save();
      if (reviewed.status !== "validated") reviewed = await unwrap(api.POST("/api/config/validate"));
      const promoted = await unwrap(api.POST("/api/config/promote", { body: { content_hash: reviewed.content_hash } }));
      setConfirming(false);
      return `Promoted: version v${promoted.version} is now active.`;
    });
  const onRevert = () => {
    setError(null);
    setDoc(saved);
  };

  return (
    <div className="card" data-testid="draft-editor">
      <div className="row" style={{ marginBottom: 10 }}>
        <span>
          Draft <Status value={status} testId="draft-status" />
        </span>
        <span className="muted small">
          {draft === null ? `starts from active v${activeVersion ?? "—"}` : `from v${draft.parent_version ?? "—"} · saved ${formatTime(draft.updated_at)}`}
          {" · "}
          {changes.length} change(s) vs active
        </span>
        <span className="spacer" />
        <button type="button" onClick={onRevert} disabled={busy !== null || !dirty} data-testid="config-revert">
          Revert edits
        </button>
        <button type="button" onClick={() => void onSave()} disabled={busy !== null || !dirty} data-testid="config-save">
          {busy === "save" ? "Saving…" : "Save draft"}
        </button>
        <button type="button" onClick={() => void onValidate()} disabled={busy !== null} data-testid="config-validate">
          {busy === "validate" ? "Validating…" : "Validate"}
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => { setError(null); setConfirming(true); }}
          disabled={busy !== null || changes.length === 0}
          data-testid="config-promote"
        >
          Promote…
        </button>
      </div>
      <ErrorBanner error={loadError} />
      <ErrorBanner error={error} testId="config-error" />
      <ConfigForm document={doc} problems={problems} onChange={setDoc} />
      {confirming && (
        <Dialog
          title={`Promote the draft to active (replacing v${activeVersion ?? "—"})?`}
          confirmLabel="Promote"
          busy={busy === "promote"}
          onConfirm={() => void onPromote()}
          onCancel={() => setConfirming(false)}
          testId="promote-dialog"
        >
          <p>
            The engine and the worker pick the new version up without a restart; the next cycle runs under it. These fields
            change:
          </p>
          <DiffTable changes={changes} testId="promote-diff" />
          <ErrorBanner error={error} testId="promote-error" />
        </Dialog>
      )}
    </div>
  );
}

/** The API's diff of the saved draft against the active version; none without a draft. */
async function loadDiff() {
  try {
    return await unwrap(api.GET("/api/config/diff"));
  } catch (cause) {
    const error = asApiError(cause);
    if (error.status === 404) return null;
    throw error;
  }
}

function ServerDiff() {
  const diff = useQuery(loadDiff, []);
  return (
    <div className="card">
      <p className="muted">The saved draft compared with the active version, as the API computes it.</p>
      <ErrorBanner error={diff.error} />
      {diff.data === null && <div className="empty">There is no saved draft.</div>}
      {diff.data !== undefined && diff.data !== null && <DiffTable changes={diff.data} />}
    </div>
  );
}

function History({ rows, error, onRolledBack }: { rows: ConfigVersion[]; error: ApiError | null; onRolledBack: (version: number) => void }) {
  const [target, setTarget] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);

  async function rollback(version: number) {
    setBusy(true);
    setFailure(null);
    try {
      await unwrap(api.POST("/api/config/rollback", { body: { version } }));
      setTarget(null);
      onRolledBack(version);
    } catch (cause) {
      setFailure(asApiError(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card">
      <ErrorBanner error={error} />
      <ErrorBanner error={failure} testId="rollback-error" />
      <table data-testid="config-history">
        <thead>
          <tr>
            <th className="num">Version</th>
            <th>Status</th>
            <th>Activated (UTC)</th>
            <th>By</th>
            <th>Hash</th>
            <th>Note</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="history-row" data-version={r.version ?? ""}>
              <td className="num">{r.version ?? "—"}</td>
              <td>
                <Status value={r.status} />
              </td>
              <td>{formatTime(r.activated_at)}</td>
              <td>{r.activated_by ?? r.created_by}</td>
              <td className="mono small">{r.content_hash.slice(0, 10)}</td>
              <td className="small">{r.label}{r.note ? ` · ${r.note}` : ""}</td>
              <td>
                {r.status === "archived" && r.version !== null && (
                  <button type="button" onClick={() => setTarget(r.version)} data-testid={`rollback-${r.version}`}>
                    Roll back to v{r.version}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {target !== null && (
        <Dialog
          title={`Roll back to v${target}?`}
          confirmLabel={`Activate v${target}`}
          danger
          busy={busy}
          onConfirm={() => void rollback(target)}
          onCancel={() => setTarget(null)}
          testId="rollback-dialog"
        >
          <p>The active version is archived and v{target} becomes active again; the change is audited.</p>
          <ErrorBanner error={failure} />
        </Dialog>
      )}
    </div>
  );
}
