// The bcrypt used for the test registry's htpasswd, against published vectors
// (jBCrypt/OpenBSD) and, where Python's crypt module is around, libxcrypt.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { bcrypt, bcryptWithSetting } from "./helpers/bcrypt.ts";

describe("bcrypt for htpasswd", () => {
  it("matches known answers", () => {
    expect(bcryptWithSetting("", "$2a$06$DCq7YPn5Rq63x1Lad4cll.")).toBe("$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.");
    expect(bcryptWithSetting("abc", "$2a$06$If6bvum7DFjUnE9p2uDeDu")).toBe("$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i");
  });

  it("agrees with the system's crypt(3) when Python exposes it", () => {
    const hash = bcrypt("s3cret: with spaces", 4);
    let sys: string;
    try {
      sys = execFileSync("python3", ["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))", "s3cret: with spaces", hash], { encoding: "utf8" }).trim();
    } catch {
      return; // no python3 / crypt module: the known answers above still pin the implementation
    }
    if (sys === "None" || sys === "") return;
    expect(sys).toBe(hash);
  });
});
