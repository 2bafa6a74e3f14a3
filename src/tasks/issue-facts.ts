/** The parts of an issue webhook the domain acts on, lifted out of the payload once. */
export interface IssueFacts {
  deliveryId: string;
  installationId: number;
  repo: { fullName: string; id: number; defaultBranch: string; cloneUrl: string };
  issue: { number: number; title: string; body: string };
  sender: { login: string; type: string };
  label?: string;
}
