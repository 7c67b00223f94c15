#!/usr/bin/env bash
# The README's local quickstart, step by step; test/cli/quickstart.test.ts runs this very file against a
# fresh node. Start the node first, in another terminal:   npx hardhat node
# (VAULT_LOCALHOST_URL points --network localhost elsewhere than http://127.0.0.1:8545.)
set -euo pipefail
cd "$(dirname "$0")/.."

# --- steps (the README shows these lines) ---
# 1. Mock USDT and USDC at the addresses config/local.vault.json names, minted to accounts #0-#9
npx hardhat vault:dev-tokens --network localhost
# 2. Deploy the vault of config/local.vault.json (admin: account #0; bots: #4 and #5)
npx hardhat vault:deploy config/local.vault.json --network localhost
# 3. Fund it from account #0
npx hardhat vault:deposit --vault local-treasury --amounts USDT=5000000,USDC=2000000,ETH=1000 --network localhost
# 4. What the vault holds, who may move what, and the 24 h risk lint
npx hardhat vault:status --vault local-treasury --network localhost
# 5. bot1 (account #4) pays its approved exchange deposit address: within its instant limit, it goes out now
npx hardhat vault:withdraw --vault local-treasury --from 4 --token USDT --amount 20000 --to 0x976EA74026E726554dB657fA54763abd0C3a0aa9 --network localhost
# 6. A payment to an address not approved for bot1 is held back: nothing sent, exit code 3
npx hardhat vault:withdraw --vault local-treasury --from 4 --token USDT --amount 10 --to 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955 --network localhost || echo "exit code $?"
# 7. Above the instant limit it must be queued: guardians can cancel it for 24 h
npx hardhat vault:queue --vault local-treasury --from 4 --token USDT --amount 300000 --to 0x976EA74026E726554dB657fA54763abd0C3a0aa9 --network localhost
# 8. Travel 24 h forward (development networks only), then execute the queued withdrawal
npx hardhat vault:time --advance 24h --network localhost
npx hardhat vault:execute --vault local-treasury --from 4 --withdrawal 1 --network localhost
# 9. Everything that happened, with the config's labels; ends once the chain is idle
npx hardhat vault:watch --vault local-treasury --from-block deployment --blocks 1000 --network localhost
