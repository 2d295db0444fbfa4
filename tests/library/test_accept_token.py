"""A shop lists only tokens (`MerchantDesk.accept_token`): an account, a contract that is no ERC-20 token and
the ledger's own contracts are refused in words before anything is sent; a token without `decimals()` (it is
optional in ERC-20) is listed; any address may be unlisted."""

from __future__ import annotations

import re

import pytest

from ledger.errors import InvalidInput
from tests.support.world import deploy_contract


def test_a_real_token_is_listed_even_without_decimals(ledger, shop, chain, owner, test_artifacts) -> None:
    plain = deploy_contract(chain, owner, test_artifacts["TestToken"], "Plain", "PLN")
    early = deploy_contract(chain, owner, test_artifacts["NoReturnToken"])  # no decimals(), no return values
    for token in (plain, early):
        shop.accept_token(token.address)
        assert ledger.accepts(shop.merchant_id, token.address)


def test_what_is_no_token_is_refused_before_anything_is_sent(ledger, shop, chain, owner, stranger,
                                                              test_artifacts) -> None:
    rejecter = deploy_contract(chain, owner, test_artifacts["EthRejecter"])
    nonce = chain.w3.eth.get_transaction_count(owner.address)
    for given, words in ((ledger.address, "is one of the ledger's own contracts"),
                         (ledger.contracts.feedback.address, "is one of the ledger's own contracts"),
                         (stranger.address, "there is no contract at"),
                         (rejecter.address, "does not answer balanceOf(), so it is no ERC-20 token")):
        with pytest.raises(InvalidInput, match=re.escape(words)):
            shop.accept_token(given)
        assert not ledger.accepts(shop.merchant_id, given)
    assert chain.w3.eth.get_transaction_count(owner.address) == nonce  # nothing was sent
    shop.accept_token(stranger.address, accepted=False)  # unlisting checks nothing: it only takes away
