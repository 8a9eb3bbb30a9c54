import { useState } from "react";
import { problem } from "./usePaged";

/**
 * Changes to one thing shown at once and rolled back with the server's reason when it refuses them, and removals
 * asked about first: the toggles and delete buttons of posts and comments.
 */
export function useOptimistic<T>(onChange: (value: T) => void) {
  const [error, setError] = useState<string | null>(null);

  async function change(before: T, guess: T, send: () => Promise<T>) {
    onChange(guess);
    try {
      onChange(await send());
      setError(null);
    } catch (caught) {
      onChange(before);
      setError(problem(caught));
    }
  }

  async function remove(question: string, send: () => Promise<unknown>, removed: () => void) {
    if (!window.confirm(question)) return;
    try {
      await send();
      removed();
    } catch (caught) {
      setError(problem(caught));
    }
  }

  return { error, change, remove };
}
