// Names shared by the extension's modules: one place to rename anything.
export const LANGUAGE_ID = "jinja-prompt";
export const CLIENT_ID = "promptTool";
export const CLIENT_NAME = "prompt-tool";
export const CONFIGURATION_SECTION = "promptTool";
export const DEFAULT_SERVER_COMMAND: readonly string[] = ["prompt-tool-lsp"];
/** Owned by the server (its `executeCommandProvider`): vscode-languageclient registers it. */
export const COMMAND_REFRESH_DATABASE = "promptTool.refreshDatabase";
/** Owned by the extension. */
export const COMMAND_RESTART_SERVER = "promptTool.restartServer";
export const COMMAND_SHOW_OUTPUT = "promptTool.showOutput";
export const COMMAND_PREVIEW = "promptTool.preview";
export const COMMAND_PREVIEW_SELECT_CONTEXT = "promptTool.previewSelectContext";
export const COMMAND_PREVIEW_GO_TO_SOURCE = "promptTool.previewGoToSource";
/** `when` clause context: true while the server runs (and so owns its commands). */
export const CONTEXT_SERVER_RUNNING = "promptTool.serverRunning";
export const WATCHED_FILES = "**/{pyproject.toml,*.j2,*.jinja,*.jinja2,*.prompt}";
export const INSTALL_HINT =
  "Install the server with `pip install git+<repository URL>` (or `pip install -e .` in a checkout), or set promptTool.server.command.";
/** The server's requests (docs/preview.md, "In the editor"). */
export const REQUEST_PREVIEW = "promptTool/preview";
export const REQUEST_PREVIEW_CONTEXTS = "promptTool/previewContexts";
/** URI scheme of the read-only preview documents. */
export const PREVIEW_SCHEME = "prompt-tool-preview";
export const PREVIEW_DIAGNOSTICS = "prompt-tool preview";
export const DEFAULT_PREVIEW_DEBOUNCE_MS = 75;
