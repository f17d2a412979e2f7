// Placeholder until its issue lands: says so instead of pretending to work.
export const summary = "(not yet implemented)";

export async function run(_argv: string[]): Promise<number> {
  console.error("mesh-filters manifests: not implemented yet");
  return 1;
}
