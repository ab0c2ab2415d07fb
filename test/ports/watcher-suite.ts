/**
 * The contract every WatcherPort adapter passes. Watchers may coalesce or repeat events, so the
 * tests wait (with a timeout, never a fixed sleep) until a path shows up among everything
 * reported, rather than expecting exact batches.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatcherPort, WatchSubscription } from '../../src/ports/fs.js';
import { waitFor } from '../helpers/wait.js';

/** Changes made as the user would, in the watched folder (paths folder-relative). */
export interface UserActions {
  write(path: string, text: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Deletes the watched folder itself, with everything in it. */
  removeRoot(): Promise<void>;
}

export interface WatcherFixture {
  watcher: WatcherPort;
  /** An existing, empty folder to watch. */
  root: string;
  /** An absolute path where nothing exists. */
  missingRoot: string;
  user: UserActions;
  cleanup(): Promise<void>;
}

/** Everything one subscription reported, flattened. */
class Recorder {
  readonly paths: string[] = [];
  readonly errors: Error[] = [];
  subscription: WatchSubscription | undefined;

  async start(fx: WatcherFixture): Promise<this> {
    this.subscription = await fx.watcher.watch(
      fx.root,
      (paths) => this.paths.push(...paths),
      (err) => this.errors.push(err),
    );
    return this;
  }

  saw(path: string): boolean {
    return this.paths.includes(path);
  }

  until(path: string): Promise<void> {
    return waitFor(() => this.saw(path), `the watcher to report ${JSON.stringify(path)} (saw ${JSON.stringify(this.paths)})`, 10_000);
  }
}

export function describeWatcherPort(name: string, factory: () => Promise<WatcherFixture>): void {
  describe(`Watcher port: ${name}`, () => {
    let fx: WatcherFixture;
    const open: Recorder[] = [];
    const record = async () => {
      const recorder = await new Recorder().start(fx);
      open.push(recorder);
      return recorder;
    };
    beforeEach(async () => {
      fx = await factory();
    });
    afterEach(async () => {
      for (const recorder of open.splice(0)) await recorder.subscription?.close();
      await fx.cleanup();
    });

    it('reports a created file', async () => {
      const rec = await record();
      await fx.user.write('new.txt', 'hello');
      await rec.until('new.txt');
      expect(rec.errors).toEqual([]);
    });

    it('reports a modified file', async () => {
      await fx.user.write('doc.txt', 'v1');
      const rec = await record();
      await fx.user.write('doc.txt', 'v2');
      await rec.until('doc.txt');
    });

    it('reports a deleted file', async () => {
      await fx.user.write('doomed.txt', 'x');
      const rec = await record();
      await fx.user.remove('doomed.txt');
      await rec.until('doomed.txt');
    });

    it('reports both ends of a rename', async () => {
      await fx.user.write('before.txt', 'x');
      const rec = await record();
      await fx.user.rename('before.txt', 'after.txt');
      await rec.until('before.txt');
      await rec.until('after.txt');
    });

    it("reports nested paths '/'-separated and relative to the root", async () => {
      await fx.user.mkdir('sub/inner');
      const rec = await record();
      await fx.user.write('sub/inner/deep.txt', 'x');
      await rec.until('sub/inner/deep.txt');
      expect(rec.paths.every((p) => !p.startsWith('/') && !p.includes('\\'))).toBe(true);
    });

    it('reports files in a folder created after watching began', async () => {
      const rec = await record();
      await fx.user.mkdir('later');
      await rec.until('later');
      await fx.user.write('later/file.txt', 'x');
      await rec.until('later/file.txt');
    });

    it("leaves out the engine's own .agora folder", async () => {
      await fx.user.mkdir('.agora');
      const rec = await record();
      await fx.user.write('.agora/state', 'engine churn');
      await fx.user.write('marker.txt', 'x');
      await rec.until('marker.txt');
      expect(rec.paths.filter((p) => p === '.agora' || p.startsWith('.agora/'))).toEqual([]);
    });

    it('stops reporting once closed', async () => {
      const closed = await record();
      const witness = await record();
      await fx.user.write('first.txt', 'x');
      await closed.until('first.txt');
      await closed.subscription?.close();
      await closed.subscription?.close(); // twice is harmless
      const seenBefore = closed.paths.length;
      // The witness proves the change was delivered; the closed one must not have seen it.
      await fx.user.write('second.txt', 'x');
      await witness.until('second.txt');
      expect(closed.paths.slice(seenBefore)).toEqual([]);
      expect(closed.saw('second.txt')).toBe(false);
    });

    it("reports '' (rescan everything) when the folder itself is deleted", async () => {
      await fx.user.write('inside.txt', 'x');
      const rec = await record();
      await fx.user.removeRoot();
      await rec.until('');
    });

    it('refuses to watch a folder that does not exist', async () => {
      await expect(fx.watcher.watch(fx.missingRoot, () => {}, () => {})).rejects.toMatchObject({ code: 'FS' });
    });
  });
}
