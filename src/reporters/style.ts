/**
 * ANSI styles for the human outputs, or none: every reporter takes a Style and never decides on
 * colour itself (the CLI does, from NO_COLOR / FORCE_COLOR / the terminal; see src/ui/mode.ts).
 */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => (text === '' ? '' : `\x1b[${open}m${text}\x1b[${close}m`);
const same = (text: string) => text;

export const NO_STYLE: Style = { enabled: false, bold: same, dim: same, red: same, green: same, yellow: same, cyan: same };

export const ANSI_STYLE: Style = {
  enabled: true,
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};

export function styleFor(color: boolean): Style {
  return color ? ANSI_STYLE : NO_STYLE;
}
