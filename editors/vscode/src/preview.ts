// The live preview: a read-only virtual document beside a template, re-rendered by the
// server as the template is edited; clicking a preview line reveals the line it came from.
// The decisions are in previewModel.ts; this module only moves them in and out of VS Code.
import * as vscode from "vscode";

import { LANGUAGE_ID, PREVIEW_DIAGNOSTICS, PREVIEW_SCHEME, REQUEST_PREVIEW, REQUEST_PREVIEW_CONTEXTS } from "./constants";
import {
  AnswerGate,
  PreviewAnswer,
  PreviewContext,
  PreviewContexts,
  PreviewError,
  PreviewTarget,
  RUN_PHASES,
  contextItems,
  decodeTarget,
  encodeTarget,
  errorsByDocument,
  hasRendered,
  previewParams,
  previewPath,
  sourceAt,
} from "./previewModel";
import { createPreviewStatusItem, showPreviewState } from "./status";

/** Sends one request to the language server (whichever client is running now). */
export type Requester = <R>(method: string, params: object) => Promise<R>;

/** One open preview document and what it last showed. */
class OpenPreview {
  readonly gate = new AnswerGate();
  answer: PreviewAnswer | undefined;
  text = "";
  timer: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    readonly uri: vscode.Uri,
    readonly target: PreviewTarget,
    /** The column the template was in when the preview opened: source jumps go there. */
    public sourceColumn: vscode.ViewColumn | undefined,
  ) {}
}

function nameOf(uri: string): string {
  return vscode.Uri.parse(uri).path.split("/").pop() ?? uri;
}

function lspDiagnostic(error: PreviewError): vscode.Diagnostic {
  const { start, end } = error.range;
  const severity = Math.min(Math.max(error.severity - 1, 0), 3) as vscode.DiagnosticSeverity;
  const diagnostic = new vscode.Diagnostic(new vscode.Range(start.line, start.character, end.line, end.character), error.message, severity);
  diagnostic.source = error.source;
  return diagnostic;
}

/**
 * Owns every open preview: provides their text, re-renders them after edits (debounced,
 * stale answers dropped), shows render errors as diagnostics and the size in the status bar.
 */
export class PreviewManager implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly previews = new Map<string, OpenPreview>();
  private readonly changes = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changes.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection(PREVIEW_DIAGNOSTICS);
  private readonly status = createPreviewStatusItem();
  private current: OpenPreview | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly request: Requester,
    private readonly log: vscode.LogOutputChannel,
    private readonly debounceMs: () => number,
  ) {
    this.subscriptions = [
      vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, this),
      vscode.workspace.onDidChangeTextDocument((event) => this.followEdit(event.document)),
      vscode.workspace.onDidCloseTextDocument((document) => this.close(document.uri)),
      vscode.window.tabGroups.onDidChangeTabs((event) => this.closeTabs(event.closed)),
      vscode.window.onDidChangeTextEditorSelection((event) => this.followSelection(event)),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.describe(this.previewFor(editor))),
    ];
  }

  /** VS Code asks for a preview's text when it opens (also after a reload: the URI says what). */
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const preview = this.previews.get(uri.toString()) ?? this.adopt(uri);
    if (preview === undefined) {
      return "";
    }
    if (preview.answer === undefined) {
      await this.render(preview);
    }
    return preview.text;
  }

  /**
   * `promptTool.preview`: pick a context for a template and open its preview beside it. The
   * template is `resource` when an editor title button passes its document's URI, else the
   * active editor's (a preview's own template, in a preview).
   */
  async open(resource?: unknown): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const source = this.templateOf(resource instanceof vscode.Uri ? resource : editor?.document.uri, editor);
    if (source === undefined) {
      void vscode.window.showWarningMessage("prompt-tool: open a prompt template to preview it.");
      return;
    }
    const column = vscode.window.visibleTextEditors.find((visible) => visible.document.uri.toString() === source)?.viewColumn;
    await this.reportFailure(async () => {
      const target = await this.pickTarget(source);
      if (target !== undefined) {
        await this.show(target, column ?? editor?.viewColumn);
      }
    });
  }

  /** After a (re)start of the server: previews asked for meanwhile got no answer. */
  refreshAll(): void {
    for (const preview of this.previews.values()) {
      clearTimeout(preview.timer);
      void this.render(preview);
    }
  }

  /** `promptTool.previewSelectContext`: the open preview, rendered with another context. */
  async selectContext(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const preview = this.previewFor(editor) ?? this.current;
    if (preview === undefined) {
      void vscode.window.showWarningMessage("prompt-tool: no preview is open.");
      return;
    }
    await this.reportFailure(async () => {
      const target = await this.pickTarget(preview.target.source);
      if (target === undefined) {
        return;
      }
      const shown = await this.show(target, preview.sourceColumn);
      if (shown !== preview) {
        await this.closeEditors(preview);
      }
    });
  }

  /** `promptTool.previewGoToSource`: moves to the source of the preview's cursor line. */
  async goToSource(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const preview = this.previewFor(editor);
    if (editor !== undefined && preview !== undefined) {
      await this.reveal(preview, editor.selection.active.line, false);
    }
  }

  dispose(): void {
    for (const preview of [...this.previews.values()]) {
      this.close(preview.uri);
    }
    this.subscriptions.forEach((subscription) => subscription.dispose());
    this.diagnostics.dispose();
    this.status.dispose();
    this.changes.dispose();
  }

  private async reportFailure(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      void vscode.window.showErrorMessage(`prompt-tool: preview: ${message}`);
    }
  }

  /** Asks the server for the contexts (and a phase first, for a partial); undefined if cancelled. */
  private async pickTarget(source: string): Promise<PreviewTarget | undefined> {
    const name = nameOf(source);
    let listed = await this.request<PreviewContexts>(REQUEST_PREVIEW_CONTEXTS, { textDocument: { uri: source } });
    let phase: string | null = null;
    if (listed.phase === null) {
      const picked = await vscode.window.showQuickPick(
        RUN_PHASES.map((label) => ({ label })),
        { placeHolder: `${name} has no phase of its own (a partial): render it as`, ignoreFocusOut: true },
      );
      if (picked === undefined) {
        return undefined;
      }
      phase = picked.label;
      listed = await this.request<PreviewContexts>(REQUEST_PREVIEW_CONTEXTS, { textDocument: { uri: source }, phase });
    }
    const context = await this.pickContext(listed.contexts, `Preview ${name} (${listed.phase ?? phase}) with`);
    return context === undefined ? undefined : { source, context: context.id, phase, label: context.label };
  }

  private async pickContext(contexts: readonly PreviewContext[], placeHolder: string): Promise<PreviewContext | undefined> {
    type Item = vscode.QuickPickItem & { context?: PreviewContext };
    const items: Item[] = contextItems(contexts).map((item) =>
      "separator" in item
        ? { label: item.separator, kind: vscode.QuickPickItemKind.Separator }
        : { label: item.context.label, description: item.context.detail, context: item.context },
    );
    const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true });
    return picked?.context;
  }

  /** Opens (or focuses) the target's preview beside the template, keeping the focus there. */
  private async show(target: PreviewTarget, sourceColumn: vscode.ViewColumn | undefined): Promise<OpenPreview> {
    const source = vscode.Uri.parse(target.source);
    const uri = source.with({ scheme: PREVIEW_SCHEME, path: previewPath(source.path, target), query: encodeTarget(target) });
    const preview = this.previews.get(uri.toString()) ?? this.adopt(uri, sourceColumn);
    if (preview === undefined) {
      throw new Error(`cannot preview ${target.source}`);
    }
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
    this.describe(preview);
    return preview;
  }

  /** State for a preview URI, new or restored from the URI's query. */
  private adopt(uri: vscode.Uri, sourceColumn?: vscode.ViewColumn): OpenPreview | undefined {
    const target = uri.scheme === PREVIEW_SCHEME ? decodeTarget(uri.query) : undefined;
    if (target === undefined) {
      return undefined;
    }
    const preview = new OpenPreview(uri, target, sourceColumn);
    this.previews.set(uri.toString(), preview);
    return preview;
  }

  /** A template's URI: a file of the template language, or the template a preview renders. */
  private templateOf(uri: vscode.Uri | undefined, editor: vscode.TextEditor | undefined): string | undefined {
    if (uri === undefined) {
      return undefined;
    }
    const preview = this.previews.get(uri.toString());
    if (preview !== undefined) {
      return preview.target.source;
    }
    const document = vscode.workspace.textDocuments.find((open) => open.uri.toString() === uri.toString()) ?? editor?.document;
    return uri.scheme === "file" && document?.uri.toString() === uri.toString() && document.languageId === LANGUAGE_ID ? uri.toString() : undefined;
  }

  private previewFor(editor: vscode.TextEditor | undefined): OpenPreview | undefined {
    if (editor === undefined) {
      return undefined;
    }
    const uri = editor.document.uri.toString();
    return this.previews.get(uri) ?? [...this.previews.values()].reverse().find((preview) => preview.target.source === uri);
  }

  /** Edits of the template, of the templates it may include and of samples re-render it. */
  private followEdit(document: vscode.TextDocument): void {
    if (document.uri.scheme !== "file") {
      return;
    }
    const uri = document.uri.toString();
    const related = document.languageId === LANGUAGE_ID || document.uri.path.endsWith(".json");
    for (const preview of this.previews.values()) {
      if (related || preview.target.source === uri) {
        clearTimeout(preview.timer);
        preview.timer = setTimeout(() => void this.render(preview), this.debounceMs());
      }
    }
  }

  /** One request; its answer is shown only if it is the newest and rendered the current text. */
  private async render(preview: OpenPreview): Promise<void> {
    const ticket = preview.gate.next();
    this.showStatus();
    let answer: PreviewAnswer;
    try {
      answer = await this.request<PreviewAnswer>(REQUEST_PREVIEW, previewParams(preview.target));
    } catch (error) {
      preview.gate.settle(ticket);
      this.log.warn(`preview of ${preview.target.source}: ${String(error)}`);
      this.showStatus();
      return;
    }
    const version = vscode.workspace.textDocuments.find((document) => document.uri.toString() === preview.target.source)?.version;
    if (preview.closed || !preview.gate.accept(ticket, answer.version, version)) {
      preview.gate.settle(ticket);
      this.log.debug(`preview of ${preview.target.source}: dropped the answer for version ${answer.version} (the editor has ${version})`);
      this.showStatus();
      return;
    }
    preview.answer = answer;
    if (hasRendered(answer)) {
      // An unusable context renders nothing: the last text stays, the error says why.
      preview.text = answer.text;
    }
    this.showErrors();
    this.changes.fire(preview.uri);
    this.showStatus();
  }

  /** Every open preview's render error, at its template line. */
  private showErrors(): void {
    const answers = [...this.previews.values()].flatMap((preview) => (preview.answer === undefined ? [] : [preview.answer]));
    const grouped = errorsByDocument(answers);
    const shown: vscode.Uri[] = [];
    this.diagnostics.forEach((uri) => shown.push(uri));
    for (const uri of shown.filter((uri) => !grouped.has(uri.toString()))) {
      this.diagnostics.delete(uri);
    }
    for (const [uri, errors] of grouped) {
      this.diagnostics.set(vscode.Uri.parse(uri), errors.map(lspDiagnostic));
    }
  }

  /** A click (or a cursor move) in a preview reveals the line's source, the focus stays. */
  private followSelection(event: vscode.TextEditorSelectionChangeEvent): void {
    const kind = event.kind;
    const preview = this.previews.get(event.textEditor.document.uri.toString());
    if (preview === undefined || kind === undefined || kind === vscode.TextEditorSelectionChangeKind.Command) {
      return;
    }
    void this.reveal(preview, event.selections[0].active.line, true);
  }

  /** Opens the source of preview line `line` in the template's column (null entries: nothing). */
  private async reveal(preview: OpenPreview, line: number, preserveFocus: boolean): Promise<void> {
    const source = sourceAt(preview.answer, line);
    if (source === undefined) {
      return;
    }
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(source.uri));
    const position = new vscode.Position(source.line, 0);
    await vscode.window.showTextDocument(document, {
      viewColumn: this.sourceColumn(preview),
      preserveFocus,
      selection: new vscode.Range(position, position),
    });
  }

  private sourceColumn(preview: OpenPreview): vscode.ViewColumn {
    const editors = vscode.window.visibleTextEditors;
    const template = editors.find((editor) => editor.document.uri.toString() === preview.target.source);
    const other = editors.find((editor) => editor.document.uri.scheme !== PREVIEW_SCHEME);
    return template?.viewColumn ?? preview.sourceColumn ?? other?.viewColumn ?? vscode.ViewColumn.Beside;
  }

  private closeTabs(tabs: readonly vscode.Tab[]): void {
    const open = new Set(
      vscode.window.tabGroups.all.flatMap((group) => group.tabs).flatMap((tab) => (tab.input instanceof vscode.TabInputText ? [tab.input.uri.toString()] : [])),
    );
    for (const tab of tabs) {
      if (tab.input instanceof vscode.TabInputText && !open.has(tab.input.uri.toString())) {
        this.close(tab.input.uri);
      }
    }
  }

  private async closeEditors(preview: OpenPreview): Promise<void> {
    const tabs = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === preview.uri.toString());
    this.close(preview.uri);
    await vscode.window.tabGroups.close(tabs, true);
  }

  /** A closed preview stops following edits, and its error leaves the Problems view. */
  private close(uri: vscode.Uri): void {
    const preview = this.previews.get(uri.toString());
    if (preview === undefined) {
      return;
    }
    preview.closed = true;
    clearTimeout(preview.timer);
    this.previews.delete(uri.toString());
    this.showErrors();
    if (this.current === preview) {
      this.describe(undefined);
    }
  }

  /** The status item describes the preview of the active editor (or the one just opened). */
  private describe(preview: OpenPreview | undefined): void {
    this.current = preview;
    this.showStatus();
  }

  private showStatus(): void {
    const current = this.current;
    showPreviewState(
      this.status,
      current === undefined
        ? undefined
        : { answer: current.answer, rendering: current.gate.inFlight, title: `${nameOf(current.target.source)} with ${current.target.label}` },
    );
  }
}
