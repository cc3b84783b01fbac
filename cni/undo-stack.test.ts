import { describe, expect, it } from 'vitest';
import { UndoStack } from './undo-stack.js';

describe('UndoStack', () => {
  it('unwinds newest first on a throw and rethrows the original error', async () => {
    const done: string[] = [];
    const err = await new UndoStack()
      .run(async (u) => {
        u.push('a', async () => void done.push('undo a'));
        u.push('b', async () => void done.push('undo b'));
        throw new Error('step c failed');
      })
      .catch((e: unknown) => e as Error);
    expect(done).toEqual(['undo b', 'undo a']);
    expect(err.message).toBe('step c failed');
  });

  it('keeps everything on success', async () => {
    const done: string[] = [];
    const u = new UndoStack();
    await u.run(async (s) => s.push('a', async () => void done.push('undo a')));
    expect(await u.unwind()).toEqual([]);
    expect(done).toEqual([]);
  });

  it('a failing undo does not stop the others and is named in the error', async () => {
    const done: string[] = [];
    const err = await new UndoStack()
      .run(async (u) => {
        u.push('lease', async () => void done.push('release lease'));
        u.push('veth nkv1', async () => {
          throw new Error('EBUSY');
        });
        throw new Error('route add failed');
      })
      .catch((e: unknown) => e as Error);
    expect(done).toEqual(['release lease']);
    expect(err.message).toBe('route add failed (cleanup also failed: undo veth nkv1: EBUSY)');
  });
});
