// A stand-in for the `vscode` module, faithful where the extension and vscode-languageclient
// depend on it: command ids are unique (a second registration throws, as VS Code does),
// documents get their language from the manifest, tabs make documents visible (pull
// diagnostics ask only for those), diagnostic collections record what the server reported,
// content providers back virtual documents, editors sit in view columns, quick picks are
// answered by the test's script.
// VS Code itself cannot be downloaded on the test machines, so this is what the extension runs in.
import { EventEmitter as NodeEventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

type Listener<T> = (event: T) => unknown;

export class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  constructor(private readonly onDispose: () => unknown) {}
  dispose(): void {
    this.onDispose();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>, thisArg?: unknown, disposables?: Disposable[]): Disposable => {
    const bound: Listener<T> = (event) => listener.call(thisArg, event);
    this.listeners.add(bound);
    const disposable = new Disposable(() => this.listeners.delete(bound));
    disposables?.push(disposable);
    return disposable;
  };
  fire(event: T): void {
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class CancellationError extends Error {
  constructor() {
    super("Canceled");
    this.name = "Canceled";
  }
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    if (!this.token.isCancellationRequested) {
      this.token.isCancellationRequested = true;
      this.emitter.fire();
    }
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class Uri {
  static file(fsPath: string): Uri {
    return Uri.parse(pathToFileURL(fsPath).href);
  }
  static parse(value: string): Uri {
    const url = new URL(value);
    return new Uri(url.protocol.replace(/:$/, ""), url.host, decodeURIComponent(url.pathname), url.search.replace(/^\?/, ""), url.hash.replace(/^#/, ""));
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return base.with({ path: path.posix.join(base.path, ...segments) });
  }
  constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  get fsPath(): string {
    return fileURLToPath(`file://${this.path}`);
  }
  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }
  toString(): string {
    const encodedPath = this.path.split("/").map(encodeURIComponent).join("/");
    return `${this.scheme}://${this.authority}${encodedPath}${this.query ? `?${this.query}` : ""}${this.fragment ? `#${this.fragment}` : ""}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, authority: this.authority, path: this.path, query: this.query, fragment: this.fragment };
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
  isEqual(other: Position): boolean {
    return this.line === other.line && this.character === other.character;
  }
  isBefore(other: Position): boolean {
    return this.line < other.line || (this.line === other.line && this.character < other.character);
  }
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(start: Position | number, end: Position | number, endLine?: number, endCharacter?: number) {
    if (typeof start === "number" && typeof end === "number") {
      this.start = new Position(start, end);
      this.end = new Position(endLine ?? start, endCharacter ?? end);
    } else {
      this.start = start as Position;
      this.end = end as Position;
    }
  }
  get isEmpty(): boolean {
    return this.start.isEqual(this.end);
  }
}

export class Selection extends Range {
  readonly anchor: Position;
  readonly active: Position;
  constructor(anchor: Position | number, active: Position | number, activeLine?: number, activeCharacter?: number) {
    const [from, to] =
      typeof anchor === "number" ? [new Position(anchor, active as number), new Position(activeLine ?? anchor, activeCharacter ?? (active as number))] : [anchor, active as Position];
    super(to.isBefore(from) ? to : from, to.isBefore(from) ? from : to);
    this.anchor = from;
    this.active = to;
  }
  get isReversed(): boolean {
    return this.active.isBefore(this.anchor);
  }
}

export class Location {
  constructor(
    readonly uri: Uri,
    readonly range: Range | Position,
  ) {}
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export enum DiagnosticTag {
  Unnecessary = 1,
  Deprecated = 2,
}

export class DiagnosticRelatedInformation {
  constructor(
    readonly location: Location,
    readonly message: string,
  ) {}
}

export class Diagnostic {
  code?: string | number | { value: string | number; target: Uri };
  source?: string;
  relatedInformation?: DiagnosticRelatedInformation[];
  tags?: DiagnosticTag[];
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

export class MarkdownString {
  isTrusted?: boolean;
  supportHtml?: boolean;
  constructor(public value = "") {}
  appendText(value: string): this {
    this.value += value;
    return this;
  }
  appendMarkdown(value: string): this {
    this.value += value;
    return this;
  }
  appendCodeblock(value: string, language = ""): this {
    this.value += `\n\`\`\`${language}\n${value}\n\`\`\`\n`;
    return this;
  }
}

/** Base classes vscode-languageclient extends at load time (their members are set by it). */
export class CompletionItem {
  constructor(public label: unknown, public kind?: number) {}
}
export class CodeLens {
  constructor(public range: Range, public command?: unknown) {}
}
export class DocumentLink {
  constructor(public range: Range, public target?: Uri) {}
}
export class InlayHint {
  constructor(public position: Position, public label: unknown, public kind?: number) {}
}
export class SymbolInformation {
  constructor(public name: string, public kind: number, public containerName: string, public location: Location) {}
}
export class CallHierarchyItem {
  constructor(public kind: number, public name: string, public detail: string, public uri: Uri, public range: Range, public selectionRange: Range) {}
}
export class TypeHierarchyItem extends CallHierarchyItem {}
export class CodeAction {
  constructor(public title: string, public kind?: CodeActionKind) {}
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class RelativePattern {
  constructor(
    readonly base: Uri | string,
    readonly pattern: string,
  ) {}
}

export class CodeActionKind {
  static readonly Empty = new CodeActionKind("");
  static readonly QuickFix = new CodeActionKind("quickfix");
  static readonly Refactor = new CodeActionKind("refactor");
  static readonly Source = new CodeActionKind("source");
  constructor(readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
}

export class SemanticTokensLegend {
  constructor(
    readonly tokenTypes: string[],
    readonly tokenModifiers: string[] = [],
  ) {}
}

export class TabInputText {
  constructor(readonly uri: Uri) {}
}
export class TabInputTextDiff {
  constructor(
    readonly original: Uri,
    readonly modified: Uri,
  ) {}
}
export class TabInputCustom {
  constructor(
    readonly uri: Uri,
    readonly viewType: string,
  ) {}
}
export class TabInputNotebook {
  constructor(
    readonly uri: Uri,
    readonly notebookType: string,
  ) {}
}

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
  Two = 2,
  Three = 3,
}
export enum TextEditorSelectionChangeKind {
  Keyboard = 1,
  Mouse = 2,
  Command = 3,
}
export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum LogLevel {
  Off = 0,
  Trace = 1,
  Debug = 2,
  Info = 3,
  Warning = 4,
  Error = 5,
}
export enum EndOfLine {
  LF = 1,
  CRLF = 2,
}
export enum TextDocumentSaveReason {
  Manual = 1,
  AfterDelay = 2,
  FocusOut = 3,
}
export enum ExtensionMode {
  Production = 1,
  Development = 2,
  Test = 3,
}
export enum UIKind {
  Desktop = 1,
  Web = 2,
}

export const version = "1.91.0";

/** A text document with the members vscode-languageclient reads. */
export class TextDocument {
  version = 1;
  isClosed = false;
  readonly isDirty = false;
  readonly isUntitled = false;
  readonly eol = EndOfLine.LF;
  constructor(
    readonly uri: Uri,
    readonly languageId: string,
    private text: string,
  ) {}
  get fileName(): string {
    return this.uri.fsPath;
  }
  get lineCount(): number {
    return this.text.split(/\r\n|\r|\n/).length;
  }
  getText(range?: Range): string {
    if (range === undefined) {
      return this.text;
    }
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }
  offsetAt(position: Position): number {
    const lines = this.text.split("\n");
    let offset = 0;
    for (let line = 0; line < position.line && line < lines.length; line += 1) {
      offset += lines[line].length + 1;
    }
    return Math.min(offset + position.character, this.text.length);
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset).split("\n");
    return new Position(before.length - 1, before[before.length - 1].length);
  }
  lineAt(line: number): { text: string; lineNumber: number } {
    return { text: this.text.split("\n")[line] ?? "", lineNumber: line };
  }
  save(): Promise<boolean> {
    return Promise.resolve(true);
  }
  /** The editor's side of a keystroke: replaces the text, bumps the version. */
  replaceText(text: string): void {
    this.text = text;
    this.version += 1;
  }
}

/** A document shown in a view column, with the members the extension reads. */
export class TextEditor {
  selection = new Selection(0, 0, 0, 0);
  readonly options = {};
  readonly visibleRanges: Range[] = [];
  constructor(
    readonly document: TextDocument,
    readonly viewColumn: number,
  ) {}
  get selections(): Selection[] {
    return [this.selection];
  }
  revealRange(): void {}
}

export interface QuickPickItem {
  label: string;
  description?: string;
  kind?: QuickPickItemKind;
}

/** The test's stand-in for a user in front of a quick pick: returns the item to pick, or undefined. */
export type QuickPickAnswer = (items: readonly QuickPickItem[], options: Record<string, unknown> | undefined) => QuickPickItem | undefined;

export interface TextDocumentContentProvider {
  onDidChange?: (listener: (uri: Uri) => unknown) => Disposable;
  provideTextDocumentContent(uri: Uri, token: unknown): string | undefined | Promise<string | undefined>;
}

interface Tab {
  readonly input: unknown;
  readonly label: string;
  readonly viewColumn: number;
}

export interface RecordedOutputChannel {
  readonly name: string;
  readonly lines: string[];
  shown: number;
}

export interface RecordedStatusItem {
  readonly id: string;
  text: string;
  tooltip: string | undefined;
  command: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible: boolean;
}

export interface DiagnosticsReport {
  readonly collection: string;
  readonly uri: string;
  readonly diagnostics: readonly Diagnostic[];
}

/** What the harness inspects: everything the extension made VS Code show or hold. */
export class Recorder extends NodeEventEmitter {
  readonly commands = new Map<string, (...args: unknown[]) => unknown>();
  readonly contexts = new Map<string, unknown>();
  readonly outputChannels: RecordedOutputChannel[] = [];
  readonly statusItems: RecordedStatusItem[] = [];
  readonly messages: { kind: string; text: string }[] = [];
  readonly diagnostics = new Map<string, Map<string, readonly Diagnostic[]>>();
  readonly configuration = new Map<string, unknown>();
  /** Every quick pick shown, in order. */
  readonly quickPicks: { items: readonly QuickPickItem[]; options: Record<string, unknown> | undefined }[] = [];
  /** Answers for the next quick picks; none left: the user dismisses it. */
  readonly quickPickAnswers: QuickPickAnswer[] = [];
  /** The registered content providers, by scheme (a test can observe one as VS Code does). */
  readonly contentProviders = new Map<string, TextDocumentContentProvider>();
  /** Every showTextDocument call: where the document went and with which options. */
  readonly shown: { editor: TextEditor; options: { preserveFocus?: boolean; selection?: Range } }[] = [];
}

interface DocumentFilter {
  language?: string;
  scheme?: string;
  pattern?: string | RelativePattern;
  notebookType?: string;
}

function matches(filter: DocumentFilter | string, document: TextDocument): number {
  if (typeof filter === "string") {
    return filter === document.languageId || filter === "*" ? 10 : 0;
  }
  if (filter.notebookType !== undefined) {
    return 0;
  }
  if (filter.language !== undefined && filter.language !== "*" && filter.language !== document.languageId) {
    return 0;
  }
  if (filter.scheme !== undefined && filter.scheme !== "*" && filter.scheme !== document.uri.scheme) {
    return 0;
  }
  if (filter.pattern !== undefined) {
    throw new Error("the stub does not match glob patterns in document selectors");
  }
  return 10;
}

/** Builds the `vscode` module for one extension, whose manifest assigns languages to files. */
export function createVscode(manifestPath: string, workspaceFolder: string): { vscode: Record<string, unknown>; recorder: Recorder } {
  const recorder = new Recorder();
  const manifest = JSON.parse(readFileSync(manifestPath, "utf-8")) as {
    contributes?: { languages?: { id: string; extensions?: string[] }[]; configuration?: { properties?: Record<string, { default?: unknown }> } };
  };
  for (const [key, property] of Object.entries(manifest.contributes?.configuration?.properties ?? {})) {
    recorder.configuration.set(key, property.default);
  }
  const languageOf = (fsPath: string): string => {
    for (const language of manifest.contributes?.languages ?? []) {
      if ((language.extensions ?? []).some((extension) => fsPath.endsWith(extension))) {
        return language.id;
      }
    }
    return "plaintext";
  };

  const textDocuments: TextDocument[] = [];
  const onDidOpenTextDocument = new EventEmitter<TextDocument>();
  const onDidCloseTextDocument = new EventEmitter<TextDocument>();
  const onDidChangeTextDocument = new EventEmitter<unknown>();
  const onDidChangeTextEditorSelection = new EventEmitter<{ textEditor: TextEditor; selections: Selection[]; kind: TextEditorSelectionChangeKind | undefined }>();
  const contentProviders = recorder.contentProviders;
  const opening = new Map<string, Promise<TextDocument>>();
  const onDidChangeConfiguration = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
  const onDidChangeTabs = new EventEmitter<{ opened: unknown[]; closed: unknown[]; changed: unknown[] }>();
  const onDidChangeVisibleTextEditors = new EventEmitter<unknown[]>();
  const onDidChangeActiveTextEditor = new EventEmitter<unknown>();
  const tabs: Tab[] = [];
  const visibleTextEditors: TextEditor[] = [];
  const folderUri = Uri.file(workspaceFolder);
  const noEvent = <T>() => new EventEmitter<T>().event;

  const commands = {
    registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
      if (recorder.commands.has(id)) {
        throw new Error(`command '${id}' already exists`);
      }
      recorder.commands.set(id, handler);
      return new Disposable(() => {
        if (recorder.commands.get(id) === handler) {
          recorder.commands.delete(id);
        }
      });
    },
    async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
      if (id === "setContext") {
        recorder.contexts.set(String(args[0]), args[1]);
        return undefined;
      }
      const handler = recorder.commands.get(id);
      if (handler === undefined) {
        throw new Error(`command '${id}' not found`);
      }
      return handler(...args);
    },
    async getCommands(): Promise<string[]> {
      return [...recorder.commands.keys()];
    },
  };

  const outputChannel = (name: string, _options?: { log: true } | string) => {
    const channel: RecordedOutputChannel & Record<string, unknown> = {
      name,
      lines: [],
      shown: 0,
      append: (value: string) => channel.lines.push(value),
      appendLine: (value: string) => channel.lines.push(value),
      replace: (value: string) => channel.lines.splice(0, channel.lines.length, value),
      clear: () => channel.lines.splice(0, channel.lines.length),
      show: () => {
        channel.shown += 1;
      },
      hide: () => undefined,
      dispose: () => undefined,
      // A LogOutputChannel ({ log: true }) writes each level as a line.
      logLevel: LogLevel.Info,
      onDidChangeLogLevel: noEvent(),
      trace: (value: string) => channel.lines.push(`[trace] ${value}`),
      debug: (value: string) => channel.lines.push(`[debug] ${value}`),
      info: (value: string) => channel.lines.push(`[info] ${value}`),
      warn: (value: string) => channel.lines.push(`[warning] ${value}`),
      error: (value: string | Error) => channel.lines.push(`[error] ${String(value)}`),
    };
    recorder.outputChannels.push(channel);
    return channel;
  };

  const message = (kind: string) => async (text: string) => {
    recorder.messages.push({ kind, text });
    recorder.emit("message", kind, text);
    return undefined;
  };

  const window = {
    createOutputChannel: outputChannel,
    createStatusBarItem(id: string, _alignment?: StatusBarAlignment, _priority?: number) {
      let text = "";
      const item: RecordedStatusItem & Record<string, unknown> = {
        id,
        get text() {
          return text;
        },
        set text(value: string) {
          text = value;
          recorder.emit("status", value);
        },
        tooltip: undefined,
        command: undefined,
        backgroundColor: undefined,
        visible: false,
        name: undefined,
        show: () => {
          item.visible = true;
        },
        hide: () => {
          item.visible = false;
        },
        dispose: () => {
          item.visible = false;
        },
      };
      recorder.statusItems.push(item);
      return item;
    },
    showErrorMessage: message("error"),
    showWarningMessage: message("warning"),
    showInformationMessage: message("information"),
    async withProgress<R>(_options: unknown, task: (progress: { report(value: unknown): void }, token: unknown) => Promise<R>): Promise<R> {
      return task({ report: () => undefined }, new CancellationTokenSource().token);
    },
    async showQuickPick(items: readonly QuickPickItem[] | Promise<readonly QuickPickItem[]>, options?: Record<string, unknown>) {
      if (options?.canPickMany) {
        throw new Error("the stub does not answer multi-select quick picks");
      }
      const shown = await items;
      recorder.quickPicks.push({ items: shown, options });
      recorder.emit("quickPick", shown, options);
      const picked = recorder.quickPickAnswers.shift()?.(shown, options);
      if (picked !== undefined && (!shown.includes(picked) || picked.kind === QuickPickItemKind.Separator)) {
        throw new Error(`the script picked ${JSON.stringify(picked.label)}, which the quick pick does not offer`);
      }
      return picked;
    },
    activeTextEditor: undefined as TextEditor | undefined,
    visibleTextEditors,
    onDidChangeActiveTextEditor: onDidChangeActiveTextEditor.event,
    onDidChangeVisibleTextEditors: onDidChangeVisibleTextEditors.event,
    onDidChangeTextEditorSelection: onDidChangeTextEditorSelection.event,
    tabGroups: {
      get all() {
        const columns = [...new Set([1, ...visibleTextEditors.map((editor) => editor.viewColumn)])].sort();
        return columns.map((viewColumn) => ({
          tabs: tabs.filter((tab) => tab.viewColumn === viewColumn),
          isActive: (window.activeTextEditor?.viewColumn ?? 1) === viewColumn,
          viewColumn,
        }));
      },
      onDidChangeTabs: onDidChangeTabs.event,
      onDidChangeTabGroups: noEvent(),
      async close(closing: Tab | readonly Tab[], _preserveFocus?: boolean): Promise<boolean> {
        closeTabs(Array.isArray(closing) ? closing : [closing as Tab]);
        return true;
      },
    },
    /** As VS Code: one editor per column; Beside is the column right of the active editor. */
    async showTextDocument(
      document: TextDocument,
      columnOrOptions?: number | { viewColumn?: number; preserveFocus?: boolean; preview?: boolean; selection?: Range },
      preserveFocusArgument?: boolean,
    ) {
      const options = typeof columnOrOptions === "object" ? columnOrOptions : { viewColumn: columnOrOptions, preserveFocus: preserveFocusArgument };
      const active = window.activeTextEditor?.viewColumn ?? ViewColumn.One;
      const wanted = options.viewColumn ?? ViewColumn.Active;
      const column = wanted === ViewColumn.Beside ? active + 1 : wanted === ViewColumn.Active ? active : wanted;
      let editor = visibleTextEditors.find((candidate) => candidate.viewColumn === column);
      if (editor?.document !== document) {
        if (editor !== undefined) {
          visibleTextEditors.splice(visibleTextEditors.indexOf(editor), 1);
        }
        editor = new TextEditor(document, column);
        visibleTextEditors.push(editor);
        onDidChangeVisibleTextEditors.fire([...visibleTextEditors]);
      }
      if (!tabs.some((tab) => tab.viewColumn === column && sameUri(tab.input, document.uri))) {
        const tab = { input: new TabInputText(document.uri), label: path.basename(document.uri.path), viewColumn: column };
        tabs.push(tab);
        onDidChangeTabs.fire({ opened: [tab], closed: [], changed: [] });
      }
      if (options.selection !== undefined) {
        editor.selection = new Selection(options.selection.start, options.selection.end);
      }
      if (!options.preserveFocus && window.activeTextEditor !== editor) {
        window.activeTextEditor = editor;
        onDidChangeActiveTextEditor.fire(editor);
      }
      recorder.shown.push({ editor, options });
      recorder.emit("shown", editor, options);
      return editor;
    },
  };

  const sameUri = (input: unknown, uri: Uri) => input instanceof TabInputText && input.uri.toString() === uri.toString();

  /** Closes tabs; a document left in no tab is closed too (VS Code does so some time later). */
  const closeTabs = (closing: readonly Tab[]) => {
    const closed = closing.filter((tab) => tabs.includes(tab));
    closed.forEach((tab) => tabs.splice(tabs.indexOf(tab), 1));
    const hidden = visibleTextEditors.filter((editor) => !tabs.some((tab) => tab.viewColumn === editor.viewColumn && sameUri(tab.input, editor.document.uri)));
    hidden.forEach((editor) => visibleTextEditors.splice(visibleTextEditors.indexOf(editor), 1));
    onDidChangeTabs.fire({ opened: [], closed, changed: [] });
    if (hidden.length > 0) {
      onDidChangeVisibleTextEditors.fire([...visibleTextEditors]);
    }
    if (window.activeTextEditor !== undefined && hidden.includes(window.activeTextEditor)) {
      window.activeTextEditor = visibleTextEditors[0];
      onDidChangeActiveTextEditor.fire(window.activeTextEditor);
    }
    for (const document of [...textDocuments]) {
      if (!tabs.some((tab) => sameUri(tab.input, document.uri)) && closed.some((tab) => sameUri(tab.input, document.uri))) {
        textDocuments.splice(textDocuments.indexOf(document), 1);
        document.isClosed = true;
        onDidCloseTextDocument.fire(document);
      }
    }
  };

  /** Replaces a document's text as one change over its whole range, as VS Code reports it. */
  const changeText = (document: TextDocument, text: string) => {
    const old = document.getText();
    const range = new Range(new Position(0, 0), document.positionAt(old.length));
    document.replaceText(text);
    onDidChangeTextDocument.fire({ document, contentChanges: [{ range, rangeOffset: 0, rangeLength: old.length, text }], reason: undefined });
    recorder.emit("documentChanged", document);
  };

  const readDocument = async (uri: Uri): Promise<TextDocument> => {
    const provider = contentProviders.get(uri.scheme);
    const text = provider !== undefined ? await provider.provideTextDocumentContent(uri, new CancellationTokenSource().token) : readFileSync(uri.fsPath, "utf-8");
    return new TextDocument(uri, languageOf(uri.path), text ?? "");
  };

  const workspace = {
    workspaceFolders: [{ uri: folderUri, name: path.basename(workspaceFolder), index: 0 }],
    name: path.basename(workspaceFolder),
    textDocuments,
    notebookDocuments: [] as unknown[],
    getConfiguration(section?: string) {
      const prefix = section ? `${section}.` : "";
      return {
        get<T>(key: string, defaultValue?: T): T | undefined {
          const value = recorder.configuration.get(prefix + key);
          return (value === undefined ? defaultValue : value) as T | undefined;
        },
        has: (key: string) => recorder.configuration.has(prefix + key),
        inspect: (key: string) => ({ key: prefix + key, defaultValue: recorder.configuration.get(prefix + key) }),
        update: async (key: string, value: unknown) => {
          recorder.configuration.set(prefix + key, value);
        },
      };
    },
    getWorkspaceFolder(uri: Uri) {
      return uri.path.startsWith(folderUri.path) ? workspace.workspaceFolders[0] : undefined;
    },
    asRelativePath(value: Uri | string) {
      const fsPath = typeof value === "string" ? value : value.fsPath;
      return path.relative(workspaceFolder, fsPath);
    },
    async openTextDocument(target: Uri | string): Promise<TextDocument> {
      const uri = typeof target === "string" ? Uri.file(target) : target;
      const key = uri.toString();
      const open = textDocuments.find((document) => document.uri.toString() === key);
      if (open !== undefined) {
        return open;
      }
      const pending =
        opening.get(key) ??
        readDocument(uri).then((document) => {
          opening.delete(key);
          textDocuments.push(document);
          onDidOpenTextDocument.fire(document);
          return document;
        });
      opening.set(key, pending);
      return pending;
    },
    /** As VS Code: `file` and `untitled` belong to the editor; an open document re-asks on onDidChange. */
    registerTextDocumentContentProvider(scheme: string, provider: TextDocumentContentProvider): Disposable {
      if (scheme === "file" || scheme === "untitled") {
        throw new Error(`scheme '${scheme}' already registered`);
      }
      contentProviders.set(scheme, provider);
      const listening = provider.onDidChange?.(async (uri: Uri) => {
        const document = textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
        if (document === undefined) {
          return;
        }
        const text = (await provider.provideTextDocumentContent(uri, new CancellationTokenSource().token)) ?? "";
        if (text !== document.getText()) {
          changeText(document, text);
        }
      });
      return new Disposable(() => {
        listening?.dispose();
        if (contentProviders.get(scheme) === provider) {
          contentProviders.delete(scheme);
        }
      });
    },
    createFileSystemWatcher(_pattern: unknown) {
      return {
        ignoreCreateEvents: false,
        ignoreChangeEvents: false,
        ignoreDeleteEvents: false,
        onDidCreate: noEvent(),
        onDidChange: noEvent(),
        onDidDelete: noEvent(),
        dispose: () => undefined,
      };
    },
    async applyEdit() {
      return true;
    },
    onDidOpenTextDocument: onDidOpenTextDocument.event,
    onDidCloseTextDocument: onDidCloseTextDocument.event,
    onDidChangeTextDocument: onDidChangeTextDocument.event,
    onDidSaveTextDocument: noEvent(),
    onWillSaveTextDocument: noEvent(),
    onDidChangeConfiguration: onDidChangeConfiguration.event,
    onDidChangeWorkspaceFolders: noEvent(),
    onDidCreateFiles: noEvent(),
    onDidRenameFiles: noEvent(),
    onDidDeleteFiles: noEvent(),
    onWillCreateFiles: noEvent(),
    onWillRenameFiles: noEvent(),
    onWillDeleteFiles: noEvent(),
    onDidOpenNotebookDocument: noEvent(),
    onDidCloseNotebookDocument: noEvent(),
    onDidChangeNotebookDocument: noEvent(),
    onDidSaveNotebookDocument: noEvent(),
  };

  const languages = new Proxy(
    {
      match(selector: DocumentFilter | string | (DocumentFilter | string)[], document: TextDocument): number {
        const filters = Array.isArray(selector) ? selector : [selector];
        return Math.max(0, ...filters.map((filter) => matches(filter, document)));
      },
      createDiagnosticCollection(name = "") {
        const entries = new Map<string, readonly Diagnostic[]>();
        recorder.diagnostics.set(name, entries);
        const set = (uri: Uri, diagnostics: readonly Diagnostic[] | undefined) => {
          entries.set(uri.toString(), diagnostics ?? []);
          const report: DiagnosticsReport = { collection: name, uri: uri.toString(), diagnostics: diagnostics ?? [] };
          recorder.emit("diagnostics", report);
        };
        return {
          name,
          set(first: Uri | [Uri, Diagnostic[]][], diagnostics?: readonly Diagnostic[]) {
            if (Array.isArray(first)) {
              first.forEach(([uri, items]) => set(uri, items));
            } else {
              set(first, diagnostics);
            }
          },
          get: (uri: Uri) => entries.get(uri.toString()),
          has: (uri: Uri) => entries.has(uri.toString()),
          delete: (uri: Uri) => {
            if (entries.has(uri.toString())) {
              set(uri, []);
              entries.delete(uri.toString());
            }
          },
          clear: () => {
            [...entries.keys()].forEach((uri) => set(Uri.parse(uri), []));
            entries.clear();
          },
          forEach: (callback: (uri: Uri, diagnostics: readonly Diagnostic[]) => void) =>
            entries.forEach((diagnostics, uri) => callback(Uri.parse(uri), diagnostics)),
          dispose: () => entries.clear(),
        };
      },
      async getLanguages() {
        return (manifest.contributes?.languages ?? []).map((language) => language.id);
      },
    } as Record<string | symbol, unknown>,
    {
      // Every `languages.register…Provider` returns a Disposable, as VS Code's do.
      get(target, property) {
        if (property in target) {
          return target[property];
        }
        if (typeof property === "string" && property.startsWith("register")) {
          return () => new Disposable(() => undefined);
        }
        return undefined;
      },
    },
  );

  const env = {
    appName: "Visual Studio Code",
    appRoot: "",
    language: "en",
    machineId: "stub",
    sessionId: "stub",
    uiKind: UIKind.Desktop,
    async openExternal() {
      return true;
    },
  };

  const vscode: Record<string, unknown> = {
    version,
    commands,
    window,
    workspace,
    languages,
    env,
    extensions: { getExtension: () => undefined, all: [] },
    Disposable,
    EventEmitter,
    CancellationError,
    CancellationTokenSource,
    Uri,
    Position,
    Range,
    Selection,
    Location,
    Diagnostic,
    DiagnosticSeverity,
    DiagnosticTag,
    DiagnosticRelatedInformation,
    MarkdownString,
    CompletionItem,
    CodeLens,
    DocumentLink,
    InlayHint,
    SymbolInformation,
    CallHierarchyItem,
    TypeHierarchyItem,
    CodeAction,
    ThemeColor,
    RelativePattern,
    CodeActionKind,
    SemanticTokensLegend,
    TabInputText,
    TabInputTextDiff,
    TabInputCustom,
    TabInputNotebook,
    StatusBarAlignment,
    ViewColumn,
    TextEditorSelectionChangeKind,
    QuickPickItemKind,
    ProgressLocation,
    LogLevel,
    EndOfLine,
    TextDocumentSaveReason,
    ExtensionMode,
    UIKind,
  };
  recorder.on("configuration", (section: string) =>
    onDidChangeConfiguration.fire({ affectsConfiguration: (prefix: string) => section === prefix || section.startsWith(`${prefix}.`) }),
  );
  recorder.on("edit", (document: TextDocument, text: string) => changeText(document, text));
  // A click on `line` of an editor: the editor takes the focus, then its selection moves.
  recorder.on("select", (editor: TextEditor, line: number, kind: TextEditorSelectionChangeKind) => {
    if (window.activeTextEditor !== editor) {
      window.activeTextEditor = editor;
      onDidChangeActiveTextEditor.fire(editor);
    }
    editor.selection = new Selection(line, 0, line, 0);
    onDidChangeTextEditorSelection.fire({ textEditor: editor, selections: [editor.selection], kind });
  });
  recorder.on("closeTabs", (uri: Uri) => closeTabs(tabs.filter((tab) => sameUri(tab.input, uri))));
  return { vscode, recorder };
}
