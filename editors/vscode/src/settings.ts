// Maps VS Code's `promptTool.*` configuration to the server's settings; no vscode import,
// so that it is unit-tested under plain node.
import { DEFAULT_PREVIEW_DEBOUNCE_MS, DEFAULT_SERVER_COMMAND } from "./constants";

/** Reads one key of the `promptTool` section (WorkspaceConfiguration.get has this shape). */
export type ConfigurationReader = (key: string) => unknown;

/** What the server reads from `initializationOptions.promptTool` and `workspace/configuration`. */
export interface ServerSettings {
  databaseUrl?: string;
  templateRoots?: string[];
  extensions?: string[];
  project?: string;
  featureType?: string;
  disabledCodes?: string[];
  maxDocumentSize?: number;
}

const STRING_KEYS = ["databaseUrl", "project", "featureType"] as const;
const LIST_KEYS = ["templateRoots", "extensions", "disabledCodes"] as const;
const COUNT_KEYS = ["maxDocumentSize"] as const;

function positiveInteger(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    return undefined;
  }
  return value.map((item: string) => item.trim()).filter((item) => item !== "");
}

/** Only the keys the user set to a usable value: the server applies its own defaults. */
export function serverSettings(read: ConfigurationReader): ServerSettings {
  const settings: ServerSettings = {};
  for (const key of STRING_KEYS) {
    const value = nonEmptyString(read(key));
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  for (const key of LIST_KEYS) {
    const value = stringList(read(key));
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  for (const key of COUNT_KEYS) {
    const value = positiveInteger(read(key));
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  return settings;
}

/** The server's executable and arguments; a bad setting falls back to `prompt-tool-lsp`. */
export function serverCommand(read: ConfigurationReader): { command: string; args: string[] } {
  const configured = read("server.command");
  const parts =
    typeof configured === "string"
      ? configured.split(/\s+/).filter((part) => part !== "")
      : stringList(configured) ?? [];
  const [command, ...args] = parts.length > 0 ? parts : [...DEFAULT_SERVER_COMMAND];
  return { command, args };
}

/** The pause after a keystroke before the preview re-renders (`promptTool.preview.debounceMs`). */
export function previewDebounceMs(read: ConfigurationReader): number {
  const value = read("preview.debounceMs");
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : DEFAULT_PREVIEW_DEBOUNCE_MS;
}
