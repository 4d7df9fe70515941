/** The panels beside the reachability matrix, in Tab order (panels-model.ts says what each shows). */
export type PanelId = 'overview' | 'services' | 'elections' | 'watches' | 'gossip';

export const PANELS: readonly { id: PanelId; title: string }[] = [
  { id: 'overview', title: 'leases·config' },
  { id: 'services', title: 'services' },
  { id: 'elections', title: 'elections' },
  { id: 'watches', title: 'watches' },
  { id: 'gossip', title: 'gossip spread' },
];

export function nextPanel(current: PanelId, delta: number): PanelId {
  const at = PANELS.findIndex((p) => p.id === current);
  return PANELS[(at + delta + PANELS.length * 8) % PANELS.length].id;
}
