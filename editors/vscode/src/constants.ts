// Names shared by the extension's modules: one place to rename anything.
export const LANGUAGE_ID = "jinja-prompt";
export const CLIENT_ID = "promptTool";
export const CLIENT_NAME = "prompt-tool";
export const CONFIGURATION_SECTION = "promptTool";
export const DEFAULT_SERVER_COMMAND: readonly string[] = ["prompt-tool-lsp"];
export const COMMAND_REFRESH_DATABASE = "promptTool.refreshDatabase";
export const COMMAND_RESTART_SERVER = "promptTool.restartServer";
export const WATCHED_FILES = "**/{pyproject.toml,*.j2,*.jinja,*.jinja2,*.prompt}";
