// Drives phantom's MCP server with the official TypeScript SDK and prints what it saw as one JSON line.
//   node client.mjs stdio COMMAND [ARGS...]   (spawns the server, e.g. ../../../../phantom mcp)
//   node client.mjs http URL                  (e.g. http://127.0.0.1:8080/mcp)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, target, ...rest] = process.argv.slice(2);
const transport = mode === "stdio"
  ? new StdioClientTransport({ command: target, args: rest, env: process.env, stderr: "inherit" })
  : new StreamableHTTPClientTransport(new URL(target));

const client = new Client({ name: "phantom-sdk-it", version: "1.0.0" });
const timeout = setTimeout(() => { console.error("timed out"); process.exit(3); }, 120_000);
try {
  await client.connect(transport);
  const tools = await client.listTools();
  const command = await client.callTool({ name: "run_command", arguments: { command: "echo sdk-$((6*7))" } });
  const code = await client.callTool({
    name: "run_code", arguments: { language: "python", code: "print(sum(range(10)))" } });
  const failing = await client.callTool({ name: "run_command", arguments: { profile: "nope", command: "true" } });
  // A sandbox that persists between calls: a file written by one command is read by the next.
  const created = await client.callTool({ name: "create_sandbox", arguments: { profile: "python-dev" } });
  const sandboxId = created.structuredContent?.sandbox_id;
  const first = await client.callTool({ name: "execute_command",
    arguments: { sandbox_id: sandboxId, command: "echo kept-$((6*7)) > state.txt" } });
  const second = await client.callTool({ name: "execute_command",
    arguments: { sandbox_id: sandboxId, command: "cat state.txt" } });
  const destroyed = await client.callTool({ name: "destroy_sandbox", arguments: { sandbox_id: sandboxId } });
  const afterDestroy = await client.callTool({ name: "execute_command",
    arguments: { sandbox_id: sandboxId, command: "true" } });
  console.log(JSON.stringify({
    server: client.getServerVersion(),
    tools: tools.tools.map(t => t.name),
    command: { isError: command.isError ?? false, text: command.content.map(c => c.text).join("\n"),
      structured: command.structuredContent ?? null },
    code: { isError: code.isError ?? false, text: code.content.map(c => c.text).join("\n") },
    failing: { isError: failing.isError ?? false, text: failing.content.map(c => c.text).join("\n") },
    session: {
      sandboxId: sandboxId ?? null,
      created: { isError: created.isError ?? false },
      first: { isError: first.isError ?? false, exitCode: first.structuredContent?.exit_code ?? null },
      second: { isError: second.isError ?? false, stdout: second.structuredContent?.stdout ?? null },
      destroyed: { isError: destroyed.isError ?? false },
      afterDestroy: { isError: afterDestroy.isError ?? false, text: afterDestroy.content.map(c => c.text).join("\n") },
    },
  }));
  await client.close();
  clearTimeout(timeout);
} catch (e) {
  console.error("MCP SDK client failed:", e);
  process.exit(1);
}
