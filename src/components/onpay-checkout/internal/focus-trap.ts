/**
 * A keydown handler for a modal dialog: Esc closes it, Tab and Shift+Tab cycle through `items`
 * (found inside the dialog when the key is pressed), never leaving it.
 */
export const focusTrap = (items: (root: HTMLElement) => (HTMLElement | null)[], onClose: () => void) => (e: KeyboardEvent): void => {
  if (e.key === 'Escape') {
    e.preventDefault();
    onClose();
  } else if (e.key === 'Tab') {
    const root = e.currentTarget as HTMLElement;
    const list = items(root).filter(Boolean) as HTMLElement[];
    const active = (root.getRootNode() as ShadowRoot).activeElement;
    const i = list.indexOf(active as HTMLElement);
    e.preventDefault();
    list[(i + (e.shiftKey ? -1 : 1) + list.length) % list.length]!.focus();
  }
};
