// runTool feeds a tool its input (a password on --password-stdin, a manifest):
// a tool that exits without reading it must come back as its exit code, not as
// an EPIPE that kills the calling process (seen once in the demo under load).
import { describe, expect, it } from "vitest";
import { runTool } from "../../oci/tools.ts";

describe("runTool", () => {
  it("returns the exit code of a tool that exits without reading its input", async () => {
    // Far more than a pipe buffer holds, so the write is still pending when the tool exits.
    const r = await runTool(["sh", "-c", "exit 3"], { input: "x".repeat(8 << 20) });
    expect(r.code).toBe(3);
  });

  it("hands the input to a tool that reads it", async () => {
    const r = await runTool(["sh", "-c", "wc -c"], { input: "secret\n" });
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout.trim()).toBe("7");
  });
});
