import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { KMSClient } from "@aws-sdk/client-kms";
import { ChangeKind, deployVaultFixture, encodeChange, proposeAndExecute, usdt } from "../helpers/fixture";
import { operatorClient } from "../sdk/helpers";
import { GuardianClient } from "../../sdk/index";
import { AwsKmsSigner, KmsRequestError, UnsupportedKeyError } from "../../sdk/signers";
import { expectSignaturesRecover, vaultWithOperatorFixture } from "./helpers";
import { startLocalKms, type LocalKms } from "./kms-endpoint";

describe("AWS KMS signer (the real @aws-sdk/client-kms against a local KMS endpoint)", () => {
  const operatorKey = Wallet.createRandom().signingKey;
  const otherKey = Wallet.createRandom().signingKey;
  let kms: LocalKms;
  let client: KMSClient;

  before(async () => {
    kms = await startLocalKms({
      "11111111-aaaa-bbbb-cccc-000000000001": { key: operatorKey },
      "22222222-aaaa-bbbb-cccc-000000000002": { key: otherKey, spec: "ECC_NIST_P256" },
    });
    client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "local-test-secret" }, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await kms.close();
  });

  const open = () => AwsKmsSigner.open({ keyId: "11111111-aaaa-bbbb-cccc-000000000001", client, provider: ethers.provider });

  const vaultWithKmsOperator = vaultWithOperatorFixture(() => ethers.computeAddress(operatorKey.publicKey));

  it("reads the address from GetPublicKey and sends withdrawals signed with Sign (low and high s)", async () => {
    const f = await loadFixture(vaultWithKmsOperator);
    const signer = await open();
    expect(signer.address).to.equal(ethers.computeAddress(operatorKey.publicKey));
    expect(signer.keyId).to.match(/^arn:aws:kms:eu-west-1:111122223333:key\/11111111/);
    const bot = await operatorClient(f, signer);
    const highBefore = kms.highS;
    for (const amount of [usdt(10_000), usdt(20_000), 3n]) {
      const r = await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount });
      if (!r.sent) throw new Error("held back");
      expect((await r.tx.wait()).status).to.equal("withdrawn");
    }
    expect(kms.highS - highBefore, "KMS answered with a high s at least once").to.be.greaterThan(0);
    expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(usdt(30_000) + 3n);
    const ops = kms.requests.map((r) => r.operation);
    expect(ops).to.include.members(["GetPublicKey", "Sign"]);
    expect(kms.requests.every((r) => r.authorized), "every request is SigV4-signed by the real client").to.equal(true);
  });

  it("signs messages and typed data, and acts as a guardian", async () => {
    const f = await loadFixture(deployVaultFixture);
    const signer = await open();
    await expectSignaturesRecover(signer, "kms");
    // A guardian key in KMS pauses the vault (the fixture's guardian is replaced by a KMS-held one).
    await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(signer.address));
    await setBalance(signer.address, 10n ** 20n);
    await (await new GuardianClient({ vault: f.vaultAddr, signer }).pause()).wait();
    expect(await f.vault.paused()).to.equal(true);
  });

  it("refuses an unknown key and a key that is not secp256k1, with typed errors", async () => {
    const unknown = await AwsKmsSigner.open({ keyId: "alias/nothing", client }).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(KmsRequestError);
    expect((unknown as KmsRequestError).awsError).to.equal("NotFoundException");
    expect((unknown as KmsRequestError).operation).to.equal("GetPublicKey");
    await expect(AwsKmsSigner.open({ keyId: "22222222-aaaa-bbbb-cccc-000000000002", client })).to.be.rejectedWith(UnsupportedKeyError, /ECC_NIST_P256/);
  });
});
