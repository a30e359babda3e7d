// SPDX-License-Identifier: Apache-2.0
// The one deployed contract of cce4long (on-chain): every module below shares one address, so every
// event about a dataset comes from here and one getLogs on the dataset id returns its whole history.
pragma solidity 0.8.37;

import {HubOwnable} from "./access/HubOwnable.sol";
import {ExploreExports} from "./modules/ExploreExports.sol";
import {TransparencyLog} from "./modules/TransparencyLog.sol";

/// @title Cce4longHub
/// @notice Dataset registry, rentals and provider earnings, Privacy Mode jobs, Explore sessions, the
///         Explore exports held for review, the trust policy and the transparency-log anchor of cce4long.
/// @dev Every dataset-scoped event has the dataset id as its first indexed argument (topic 1), so
///      `eth_getLogs({ address: hub, topics: [null, datasetId] })` is the dataset's full audit trail.
contract Cce4longHub is ExploreExports, TransparencyLog {
    /// @param initialOwner The policy owner (later a multisig or timelock).
    /// @param initialSigners Privacy Plane signer addresses to authorize at deployment.
    constructor(address initialOwner, address[] memory initialSigners) HubOwnable(initialOwner) {
        for (uint256 i = 0; i < initialSigners.length; ++i) {
            _setPrivacyPlaneSigner(initialSigners[i], true);
        }
    }
}
