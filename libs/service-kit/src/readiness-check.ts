/** One named dependency whose failure makes the service unready; throws to say why. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}
