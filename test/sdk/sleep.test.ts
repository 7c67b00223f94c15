import { expect } from "chai";
import { getEventListeners } from "events";
import { sleep } from "../../sdk/monitor/sleep";

/** Timers that keep the process alive right now (an unref'd timer is not counted). */
const liveTimers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("sleep (the polling loops' wait)", () => {
  it("resolves after the delay, not before", async () => {
    const started = performance.now();
    let settled = false;
    const waiting = sleep(60).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled, "settled before the delay").to.equal(false);
    await waiting;
    expect(performance.now() - started).to.be.at.least(55);
  });

  it("resolves promptly when the signal aborts mid-wait, and leaves no listener behind", async () => {
    const ac = new AbortController();
    const started = performance.now();
    const waiting = sleep(60_000, { signal: ac.signal });
    expect(getEventListeners(ac.signal, "abort")).to.have.length(1);
    setTimeout(() => ac.abort(new Error("stop")), 20);
    await waiting; // resolves, never rejects: the loops check `signal.aborted` themselves
    expect(performance.now() - started).to.be.below(5_000);
    expect(getEventListeners(ac.signal, "abort")).to.have.length(0);
  });

  it("resolves at once for a signal that has already aborted, without a timer or listener", async () => {
    const ac = new AbortController();
    ac.abort();
    const before = liveTimers();
    const started = performance.now();
    const waiting = sleep(60_000, { signal: ac.signal });
    expect(liveTimers()).to.equal(before);
    expect(getEventListeners(ac.signal, "abort")).to.have.length(0);
    await waiting;
    expect(performance.now() - started).to.be.below(5_000);
  });

  it("removes its abort listener when the delay ends first", async () => {
    const ac = new AbortController();
    await sleep(5, { signal: ac.signal });
    expect(getEventListeners(ac.signal, "abort")).to.have.length(0);
    ac.abort(); // a late abort is harmless
  });

  it("holds the process open unless asked not to (unref)", async () => {
    const ac = new AbortController();
    const before = liveTimers();
    const held = sleep(60_000, { signal: ac.signal });
    expect(liveTimers(), "a loop's wait keeps the process alive").to.equal(before + 1);
    const loose = sleep(60_000, { signal: ac.signal, unref: true });
    expect(liveTimers(), "a back-off's wait does not").to.equal(before + 1);
    ac.abort();
    await Promise.all([held, loose]);
  });
});
