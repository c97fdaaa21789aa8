// The preview's protocol and its pure decisions (which answer to show, what a preview URI
// holds, where a preview line comes from); no vscode import, so that node unit-tests it.

/** Phases a partial can be rendered as (the contract's run phases, as the server names them). */
export const RUN_PHASES: readonly string[] = ["orchestrator", "analysis", "implementation"];

/** `promptTool/previewContexts` answer: one entry a user can pick. */
export interface PreviewContext {
  readonly id: string;
  readonly label: string;
  readonly kind: string;
  readonly phase: string | null;
  readonly detail: string;
}

export interface PreviewContexts {
  /** Null for a template that needs a phase chosen (a partial). */
  readonly phase: string | null;
  readonly contexts: readonly PreviewContext[];
}

export interface LspPosition {
  readonly line: number;
  readonly character: number;
}

/** A render failure, shaped like an LSP diagnostic plus the document it belongs to. */
export interface PreviewError {
  readonly uri: string | null;
  readonly range: { readonly start: LspPosition; readonly end: LspPosition };
  readonly severity: number;
  readonly source: string;
  readonly message: string;
}

/** Where one output line comes from: a document and its 0-based line. */
export interface SourceLine {
  readonly uri: string | null;
  readonly template: string;
  readonly version: number | null;
  readonly line: number;
}

/** `promptTool/preview` answer (docs/preview.md, "In the editor"). */
export interface PreviewAnswer {
  readonly uri: string;
  /** The document version rendered; null when the server rendered the file on disk or nothing. */
  readonly version: number | null;
  /** Null when nothing rendered: the context or the phase could not be used. */
  readonly phase: string | null;
  readonly context: string;
  readonly text: string;
  readonly characters: number;
  readonly tokens: number;
  readonly tokenCounter: string;
  readonly sourceMap: readonly (SourceLine | null)[];
  readonly error: PreviewError | null;
}

/** What a preview renders: encoded in its URI, so VS Code can reopen it after a reload. */
export interface PreviewTarget {
  /** The template document's URI, as the server knows it. */
  readonly source: string;
  /** The context id the server listed. */
  readonly context: string;
  /** Only for a template without its own phase (a partial). */
  readonly phase: string | null;
  /** The context's label, for the tab title. */
  readonly label: string;
}

/** The request's params: `phase` only when the user chose one, so header edits are followed. */
export function previewParams(target: PreviewTarget): Record<string, unknown> {
  const params: Record<string, unknown> = { textDocument: { uri: target.source }, context: target.context };
  if (target.phase !== null) {
    params.phase = target.phase;
  }
  return params;
}

/**
 * The query part of a preview URI: base64url JSON, which survives VS Code's percent
 * decoding of URI components unchanged (a raw `&` or `=` in a path would not).
 */
export function encodeTarget(target: PreviewTarget): string {
  return Buffer.from(JSON.stringify(target), "utf8").toString("base64url");
}

/** The target a preview URI's query holds; undefined for anything else. */
export function decodeTarget(query: string): PreviewTarget | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(query, "base64url").toString("utf8"));
    if (typeof data !== "object" || data === null) {
      return undefined;
    }
    const { source, context, phase, label } = data as Record<string, unknown>;
    if (typeof source !== "string" || typeof context !== "string" || typeof label !== "string") {
      return undefined;
    }
    if (phase !== null && typeof phase !== "string") {
      return undefined;
    }
    return { source, context, phase, label };
  } catch {
    return undefined;
  }
}

/**
 * The preview document's path, next to its template: the tab reads "Preview analysis.j2
 * (generated sample)", and its ending is no template extension, so it is plain text.
 */
export function previewPath(sourcePath: string, target: PreviewTarget): string {
  const slash = sourcePath.lastIndexOf("/");
  const folder = sourcePath.slice(0, slash + 1);
  const name = sourcePath.slice(slash + 1);
  const label = target.label.replace(/[/\\]/g, "-");
  const phase = target.phase === null ? "" : ` as ${target.phase}`;
  return `${folder}Preview ${name} (${label}${phase})`;
}

/** False for the answer to a context (or phase) that could not be used: its text is empty. */
export function hasRendered(answer: PreviewAnswer): boolean {
  return answer.phase !== null;
}

/** True when an answer rendered an older version of the document than the editor holds. */
export function isStale(answerVersion: number | null, documentVersion: number | undefined): boolean {
  return answerVersion !== null && documentVersion !== undefined && answerVersion < documentVersion;
}

/**
 * Orders one preview's requests: an answer is shown only if it rendered the document's
 * current version and no answer to a later request is shown already (answers can overtake
 * each other). An answer without a version (nothing rendered) counts only if it answers
 * the newest request.
 */
export class AnswerGate {
  private issued = 0;
  private shown = 0;

  /** A ticket for the request about to be sent. */
  next(): number {
    this.issued += 1;
    return this.issued;
  }

  get inFlight(): boolean {
    return this.shown < this.issued;
  }

  /** Whether the answer to `ticket` may be shown; accepting it retires earlier tickets. */
  accept(ticket: number, answerVersion: number | null, documentVersion: number | undefined): boolean {
    if (ticket <= this.shown || isStale(answerVersion, documentVersion)) {
      return false;
    }
    if (answerVersion === null && ticket !== this.issued) {
      return false;
    }
    this.shown = ticket;
    return true;
  }

  /** Retires `ticket` without showing its answer (it failed or was dropped). */
  settle(ticket: number): void {
    if (ticket === this.issued) {
      this.shown = Math.max(this.shown, ticket);
    }
  }
}

/** The source of preview line `line`, if the map knows one with a document to open. */
export function sourceAt(answer: PreviewAnswer | undefined, line: number): (SourceLine & { uri: string }) | undefined {
  const entry = answer?.sourceMap[line];
  if (entry === undefined || entry === null || entry.uri === null) {
    return undefined;
  }
  return entry as SourceLine & { uri: string };
}

/** The status line: size and estimated tokens. */
export function summary(answer: PreviewAnswer): string {
  return `${answer.characters.toLocaleString("en-US")} chars · ~${answer.tokens.toLocaleString("en-US")} tokens`;
}

/** The render errors of several previews' answers, grouped by the document they point into. */
export function errorsByDocument(answers: readonly PreviewAnswer[]): Map<string, PreviewError[]> {
  const grouped = new Map<string, PreviewError[]>();
  for (const answer of answers) {
    if (answer.error !== null) {
      const uri = answer.error.uri ?? answer.uri;
      grouped.set(uri, [...(grouped.get(uri) ?? []), answer.error]);
    }
  }
  return grouped;
}

/** One pick-list entry per context, under a separator per kind, in the server's order. */
export function contextItems(contexts: readonly PreviewContext[]): ({ separator: string } | { context: PreviewContext })[] {
  const items: ({ separator: string } | { context: PreviewContext })[] = [];
  let kind: string | undefined;
  for (const context of contexts) {
    if (context.kind !== kind) {
      kind = context.kind;
      items.push({ separator: KIND_TITLES[kind] ?? kind });
    }
    items.push({ context });
  }
  return items;
}

const KIND_TITLES: Record<string, string> = {
  sample: "samples",
  generated: "generated from the contract",
  session: "recent sessions",
};
