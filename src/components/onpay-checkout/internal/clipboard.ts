/**
 * Copies a value. Outside a secure context (a shop on plain http) there is no clipboard API: the
 * old copy command on a hidden text field, still within the click, and failing that the value is
 * selected on screen for the buyer to copy by hand. Returns whether it was copied.
 */
export async function copyText(value: string, root: DocumentFragment | HTMLElement, shown: Element | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(value);
    return true;
  } catch {
    // No clipboard API here, or it was refused.
  }
  const field = document.createElement('textarea');
  field.value = value;
  field.readOnly = true;
  field.style.cssText = 'position:fixed;top:0;opacity:0';
  root.append(field);
  field.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    // Not supported.
  }
  field.remove();
  if (copied) return true;
  const selection = getSelection();
  if (shown && selection) {
    const range = document.createRange();
    range.selectNodeContents(shown);
    selection.removeAllRanges();
    selection.addRange(range);
  }
  return false;
}
