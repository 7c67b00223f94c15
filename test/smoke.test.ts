import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployVaultFixture, POLICY, usdt, NATIVE, eth } from "./helpers/fixture";

describe("smoke", () => {
  it("withdraws within limits", async () => {
    const f = await loadFixture(deployVaultFixture);
    await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1000)))
      .to.emit(f.vault, "Withdrawn").withArgs(f.bot1.address, f.usdtAddr, f.exchange.address, usdt(1000));
    expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(usdt(1000));
    const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
    expect(s.used).to.equal(usdt(1000));
    expect(s.available).to.equal(POLICY.usdt.cap - usdt(1000));
    await f.vault.connect(f.bot1).withdrawInstant(NATIVE, f.exchange.address, eth(1));
  });
});
