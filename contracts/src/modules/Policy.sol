// SPDX-License-Identifier: Apache-2.0
// The trust policy of the cce4long hub (on-chain): which Privacy Plane signer keys may write the
// record, which Computing Plane measurements may receive keys, which algorithm images may run.
pragma solidity 0.8.37;

import {HubOwnable} from "../access/HubOwnable.sol";

/// @title Policy
/// @notice Owner-governed allow-lists. Measurements and image digests are allowed either globally
///         (scope `bytes32(0)`) or for one dataset (scope = its id); a value is allowed for a dataset
///         when it is allowed in either scope.
/// @dev A measurement id is `keccak256(abi.encodePacked(mrtd, rtmr0, rtmr1, rtmr2))` (4 x 48 bytes).
///      An image digest is the sha256 of an OCI image manifest.
abstract contract Policy is HubOwnable {
    /// @dev The scope of global allowances.
    bytes32 internal constant GLOBAL_SCOPE = bytes32(0);

    mapping(address signer => bool) private _signers;
    mapping(bytes32 scope => mapping(bytes32 measurementId => bool)) private _measurements;
    mapping(bytes32 scope => mapping(bytes32 imageDigest => bool)) private _imageDigests;

    /// @notice `signer` may now record dataset versions, job lifecycle steps and Explore sessions.
    event PrivacyPlaneSignerAuthorized(address indexed signer);

    /// @notice `signer` may no longer record anything.
    event PrivacyPlaneSignerRevoked(address indexed signer);

    /// @notice The allowance of a Computing Plane measurement changed.
    /// @param datasetId The dataset it applies to, or zero for every dataset.
    /// @param measurementId keccak256 of MRTD || RTMR0 || RTMR1 || RTMR2.
    /// @param allowed Whether VMs with this measurement may now receive dataset keys.
    event MeasurementPolicyChanged(bytes32 indexed datasetId, bytes32 indexed measurementId, bool allowed);

    /// @notice The allowance of an algorithm image digest changed.
    /// @param datasetId The dataset it applies to, or zero for every dataset.
    /// @param imageDigest sha256 of the OCI image manifest.
    /// @param changedBy The owner, or the dataset's provider for a per-dataset allowance.
    /// @param allowed Whether jobs may now run this image.
    event ImageDigestPolicyChanged(
        bytes32 indexed datasetId, bytes32 indexed imageDigest, address indexed changedBy, bool allowed
    );

    /// @notice The caller is not an authorized Privacy Plane signer.
    error PolicyUnauthorizedSigner(address account);

    /// @notice The zero address cannot be a signer.
    error PolicyInvalidSigner(address signer);

    /// @notice Zero is not a valid measurement id or image digest.
    error PolicyZeroValue();

    /// @notice Only the owner or the dataset's provider may change a per-dataset image allowance.
    error PolicyUnauthorizedAccount(address account);

    /// @dev Reverts with `PolicyUnauthorizedSigner` unless the caller is an authorized signer.
    modifier onlyPrivacyPlaneSigner() {
        if (!_signers[msg.sender]) revert PolicyUnauthorizedSigner(msg.sender);
        _;
    }

    /// @notice Authorizes or revokes a Privacy Plane signer key. Owner only.
    /// @param signer The signer address (the `msg.sender` of its records).
    /// @param authorized True to authorize, false to revoke.
    function setPrivacyPlaneSigner(address signer, bool authorized) external onlyOwner {
        _setPrivacyPlaneSigner(signer, authorized);
    }

    /// @notice Allows or disallows a Computing Plane measurement. Owner only.
    /// @param datasetId Zero for every dataset, else a registered dataset.
    /// @param measurementId keccak256 of MRTD || RTMR0 || RTMR1 || RTMR2.
    /// @param allowed The new allowance.
    function setMeasurementAllowed(bytes32 datasetId, bytes32 measurementId, bool allowed) external onlyOwner {
        if (measurementId == bytes32(0)) revert PolicyZeroValue();
        if (datasetId != GLOBAL_SCOPE) _requireDatasetExists(datasetId);
        _measurements[datasetId][measurementId] = allowed;
        emit MeasurementPolicyChanged(datasetId, measurementId, allowed);
    }

    /// @notice Allows or disallows an algorithm image digest.
    /// @dev Globally: owner only. For one dataset: the owner or that dataset's provider, because a
    ///      provider decides which algorithms may run on its own data (the Output Gate still checks
    ///      every output).
    /// @param datasetId Zero for every dataset, else a registered dataset.
    /// @param imageDigest sha256 of the OCI image manifest.
    /// @param allowed The new allowance.
    function setImageDigestAllowed(bytes32 datasetId, bytes32 imageDigest, bool allowed) external {
        if (imageDigest == bytes32(0)) revert PolicyZeroValue();
        if (msg.sender != owner()) {
            if (datasetId == GLOBAL_SCOPE || _providerOf(datasetId) != msg.sender) {
                revert PolicyUnauthorizedAccount(msg.sender);
            }
        }
        if (datasetId != GLOBAL_SCOPE) _requireDatasetExists(datasetId);
        _imageDigests[datasetId][imageDigest] = allowed;
        emit ImageDigestPolicyChanged(datasetId, imageDigest, msg.sender, allowed);
    }

    /// @notice Whether `account` is an authorized Privacy Plane signer.
    function isPrivacyPlaneSigner(address account) external view returns (bool) {
        return _signers[account];
    }

    /// @notice Whether VMs with `measurementId` may receive the key of `datasetId`
    ///         (allowed globally or for that dataset; zero `datasetId` asks about the global scope only).
    function isMeasurementAllowed(bytes32 datasetId, bytes32 measurementId) public view returns (bool) {
        return _measurements[GLOBAL_SCOPE][measurementId] || _measurements[datasetId][measurementId];
    }

    /// @notice Whether jobs on `datasetId` may run the image `imageDigest`
    ///         (allowed globally or for that dataset; zero `datasetId` asks about the global scope only).
    function isImageDigestAllowed(bytes32 datasetId, bytes32 imageDigest) public view returns (bool) {
        return _imageDigests[GLOBAL_SCOPE][imageDigest] || _imageDigests[datasetId][imageDigest];
    }

    /// @dev Shared by the constructor and `setPrivacyPlaneSigner`; emits one event per call.
    function _setPrivacyPlaneSigner(address signer, bool authorized) internal {
        if (signer == address(0)) revert PolicyInvalidSigner(signer);
        _signers[signer] = authorized;
        if (authorized) emit PrivacyPlaneSignerAuthorized(signer);
        else emit PrivacyPlaneSignerRevoked(signer);
    }

    /// @dev The provider of a dataset, zero when it is not registered. Implemented by the registry.
    function _providerOf(bytes32 datasetId) internal view virtual returns (address);

    /// @dev Reverts unless the dataset is registered. Implemented by the registry.
    function _requireDatasetExists(bytes32 datasetId) internal view virtual;
}
