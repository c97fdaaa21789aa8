// Unit tests of the settings mapping, run with node's built-in test runner.
import assert from "node:assert/strict";
import { test } from "node:test";

import { previewDebounceMs, serverCommand, serverSettings } from "../src/settings";

function reader(values: Record<string, unknown>): (key: string) => unknown {
  return (key) => values[key];
}

test("unset and null values are left to the server's defaults", () => {
  assert.deepEqual(serverSettings(reader({ databaseUrl: null, project: "" })), {});
});

test("every server setting is passed through with its camelCase key", () => {
  const settings = serverSettings(
    reader({
      databaseUrl: "sqlite:///x.db",
      templateRoots: ["templates", " partials "],
      extensions: [".j2"],
      project: "web",
      featureType: "bugfix",
      disabledCodes: ["PT003"],
    }),
  );
  assert.deepEqual(settings, {
    databaseUrl: "sqlite:///x.db",
    templateRoots: ["templates", "partials"],
    extensions: [".j2"],
    project: "web",
    featureType: "bugfix",
    disabledCodes: ["PT003"],
  });
});

test("a list with a non-string item is dropped, not sent half-valid", () => {
  assert.deepEqual(serverSettings(reader({ templateRoots: ["ok", 3] })), {});
});

test("the server command defaults to prompt-tool-lsp", () => {
  assert.deepEqual(serverCommand(reader({})), { command: "prompt-tool-lsp", args: [] });
  assert.deepEqual(serverCommand(reader({ "server.command": [] })), { command: "prompt-tool-lsp", args: [] });
});

test("the server command accepts a list or a command line", () => {
  assert.deepEqual(serverCommand(reader({ "server.command": ["prompt-tool", "lsp"] })), {
    command: "prompt-tool",
    args: ["lsp"],
  });
  assert.deepEqual(serverCommand(reader({ "server.command": "python -m lsp_server" })), {
    command: "python",
    args: ["-m", "lsp_server"],
  });
});

test("the preview's pause is a non-negative whole number of milliseconds, else 75", () => {
  assert.equal(previewDebounceMs(reader({})), 75);
  assert.equal(previewDebounceMs(reader({ "preview.debounceMs": 0 })), 0);
  assert.equal(previewDebounceMs(reader({ "preview.debounceMs": 200 })), 200);
  assert.equal(previewDebounceMs(reader({ "preview.debounceMs": -1 })), 75);
  assert.equal(previewDebounceMs(reader({ "preview.debounceMs": "50" })), 75);
});
