// Hardhat's node as a second development node beside anvil (ledger.chain.HardhatChain, tests/interop/test_hardhat.py).
// `hardhat node` runs only inside a Hardhat project, that is next to a config file: this one, kept out of the way
// here, where tools that look for a framework (crytic-compile, under Slither) do not take the checkout for a Hardhat
// project (it builds with solc-js and forge). Everything else is Hardhat's default: chain id 31337 and the mnemonic
// "test test ... junk", which give anvil's development accounts; ten of them, as anvil is started with.
module.exports = { networks: { hardhat: { accounts: { count: 10 } } } };
