// SPDX-License-Identifier: Apache-2.0
// The dataset registry of the cce4long hub (on-chain): providers register, update and retire datasets
// and name their reviewers; the Privacy Plane commits each encrypted version's manifest root.
pragma solidity 0.8.37;

import {Policy} from "./Policy.sol";

/// @title DatasetRegistry
/// @notice A dataset id is `keccak256(abi.encode(provider, salt))`: the provider picks the salt, can
///         compute the id before registering, and nobody can front-run it into the same id.
/// @dev Retirement is final: it stops new rentals, extensions, new versions, updates and free previews.
///      Rentals already running are honoured until they expire (see Rentals).
abstract contract DatasetRegistry is Policy {
    /// @notice The most reviewers a dataset can name (bounds the cost of replacing the list).
    uint256 public constant MAX_REVIEWERS = 16;

    /// @notice The commercial and Explore Mode terms of a dataset.
    /// @param pricePerPeriod Price of one rental period, in wei of the native currency.
    /// @param periodSeconds Length of one rental period; must be non-zero.
    /// @param exploreOffered Whether Explore Mode sessions may be opened on the dataset.
    /// @param freePreview Whether anyone may open an Explore session without a rental
    ///        (requires `exploreOffered`).
    struct DatasetTerms {
        uint128 pricePerPeriod;
        uint64 periodSeconds;
        bool exploreOffered;
        bool freePreview;
    }

    /// @notice Everything the chain knows about a dataset.
    struct DatasetView {
        address provider;
        uint40 registeredAt;
        bool retired;
        uint32 versionCount;
        bytes32 metadataHash;
        string metadataUri;
        DatasetTerms terms;
    }

    /// @dev Slot 0 is what rentals and jobs read: provider, version count, flags.
    struct DatasetRecord {
        address provider;
        uint32 versionCount;
        bool retired;
        bool exploreOffered;
        bool freePreview;
        uint40 registeredAt;
        uint128 pricePerPeriod;
        uint64 periodSeconds;
        bytes32 metadataHash;
        string metadataUri;
    }

    mapping(bytes32 datasetId => DatasetRecord) private _datasets;
    mapping(bytes32 datasetId => mapping(uint32 version => bytes32 manifestRoot)) private _versions;
    mapping(bytes32 datasetId => address[]) private _reviewerLists;
    mapping(bytes32 datasetId => mapping(address reviewer => bool)) private _isReviewer;
    bytes32[] private _datasetIds;

    /// @notice A provider registered a dataset.
    event DatasetRegistered(
        bytes32 indexed datasetId,
        address indexed provider,
        bytes32 metadataHash,
        string metadataUri,
        DatasetTerms terms
    );

    /// @notice The provider changed the metadata or terms; running rentals keep their expiry.
    event DatasetUpdated(bytes32 indexed datasetId, bytes32 metadataHash, string metadataUri, DatasetTerms terms);

    /// @notice The provider retired the dataset (final).
    event DatasetRetired(bytes32 indexed datasetId);

    /// @notice The provider replaced the dataset's reviewer list.
    event DatasetReviewersChanged(bytes32 indexed datasetId, address[] reviewers);

    /// @notice The Privacy Plane committed a new encrypted version of the dataset.
    /// @param version 1 for the first version, then consecutive.
    /// @param manifestRoot Root hash of the version's encrypted-file manifest.
    event DatasetVersionCommitted(bytes32 indexed datasetId, uint32 indexed version, bytes32 manifestRoot);

    /// @notice No dataset with this id is registered.
    error DatasetsUnknownDataset(bytes32 datasetId);

    /// @notice A dataset with this id is already registered.
    error DatasetsAlreadyRegistered(bytes32 datasetId);

    /// @notice Only the dataset's provider may do this.
    error DatasetsNotProvider(bytes32 datasetId, address account);

    /// @notice The dataset is retired.
    error DatasetsRetired(bytes32 datasetId);

    /// @notice The period is zero, or a free preview is offered without Explore Mode.
    error DatasetsInvalidTerms();

    /// @notice More than `MAX_REVIEWERS` reviewers.
    error DatasetsTooManyReviewers(uint256 count, uint256 max);

    /// @notice A reviewer is the zero address or listed twice.
    error DatasetsInvalidReviewer(address reviewer);

    /// @notice The manifest root is zero.
    error DatasetsZeroManifestRoot();

    /// @notice The dataset has no such version.
    error DatasetsUnknownVersion(bytes32 datasetId, uint32 version);

    /// @dev Reverts unless the caller is the dataset's provider (and the dataset exists).
    modifier onlyProvider(bytes32 datasetId) {
        address provider = _datasets[datasetId].provider;
        if (provider == address(0)) revert DatasetsUnknownDataset(datasetId);
        if (provider != msg.sender) revert DatasetsNotProvider(datasetId, msg.sender);
        _;
    }

    /// @notice Registers a dataset with the caller as its provider.
    /// @param salt Any value; the id is `keccak256(abi.encode(msg.sender, salt))`.
    /// @param metadataHash Hash of the catalogue metadata document.
    /// @param metadataUri Where that document can be fetched.
    /// @param terms Price, period and Explore Mode terms.
    /// @param reviewers Addresses that may decide on flagged outputs (at most `MAX_REVIEWERS`).
    /// @return datasetId The new dataset's id.
    function registerDataset(
        bytes32 salt,
        bytes32 metadataHash,
        string calldata metadataUri,
        DatasetTerms calldata terms,
        address[] calldata reviewers
    ) external returns (bytes32 datasetId) {
        datasetId = datasetIdOf(msg.sender, salt);
        DatasetRecord storage dataset = _datasets[datasetId];
        if (dataset.provider != address(0)) revert DatasetsAlreadyRegistered(datasetId);
        _checkTerms(terms);
        dataset.provider = msg.sender;
        dataset.registeredAt = uint40(block.timestamp);
        _writeDetails(dataset, metadataHash, metadataUri, terms);
        _datasetIds.push(datasetId);
        emit DatasetRegistered(datasetId, msg.sender, metadataHash, metadataUri, terms);
        _setReviewers(datasetId, reviewers);
    }

    /// @notice Changes a dataset's metadata and terms. Provider only; not after retirement.
    /// @dev New prices and periods apply to later rentals and extensions only.
    function updateDataset(
        bytes32 datasetId,
        bytes32 metadataHash,
        string calldata metadataUri,
        DatasetTerms calldata terms
    ) external onlyProvider(datasetId) {
        DatasetRecord storage dataset = _datasets[datasetId];
        if (dataset.retired) revert DatasetsRetired(datasetId);
        _checkTerms(terms);
        _writeDetails(dataset, metadataHash, metadataUri, terms);
        emit DatasetUpdated(datasetId, metadataHash, metadataUri, terms);
    }

    /// @notice Replaces the reviewer list. Provider only; allowed after retirement so that jobs of
    ///         still-running rentals can be reviewed.
    function setDatasetReviewers(bytes32 datasetId, address[] calldata reviewers) external onlyProvider(datasetId) {
        _setReviewers(datasetId, reviewers);
    }

    /// @notice Retires the dataset for good. Provider only. Running rentals stay valid until they
    ///         expire; earnings stay withdrawable.
    function retireDataset(bytes32 datasetId) external onlyProvider(datasetId) {
        DatasetRecord storage dataset = _datasets[datasetId];
        if (dataset.retired) revert DatasetsRetired(datasetId);
        dataset.retired = true;
        emit DatasetRetired(datasetId);
    }

    /// @notice Records a new encrypted version of a dataset. Privacy Plane signers only.
    /// @param datasetId A registered, unretired dataset.
    /// @param manifestRoot Root hash of the version's manifest; non-zero.
    /// @return version The new version number (1, 2, ...).
    function commitDatasetVersion(bytes32 datasetId, bytes32 manifestRoot)
        external
        onlyPrivacyPlaneSigner
        returns (uint32 version)
    {
        if (manifestRoot == bytes32(0)) revert DatasetsZeroManifestRoot();
        DatasetRecord storage dataset = _requireDataset(datasetId);
        if (dataset.retired) revert DatasetsRetired(datasetId);
        version = dataset.versionCount + 1;
        dataset.versionCount = version;
        _versions[datasetId][version] = manifestRoot;
        emit DatasetVersionCommitted(datasetId, version, manifestRoot);
    }

    /// @notice The id a provider's salt produces.
    function datasetIdOf(address provider, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(provider, salt));
    }

    /// @notice Everything the chain stores about a dataset; reverts when it is unknown.
    function getDataset(bytes32 datasetId) external view returns (DatasetView memory) {
        DatasetRecord storage dataset = _requireDataset(datasetId);
        return DatasetView({
            provider: dataset.provider,
            registeredAt: dataset.registeredAt,
            retired: dataset.retired,
            versionCount: dataset.versionCount,
            metadataHash: dataset.metadataHash,
            metadataUri: dataset.metadataUri,
            terms: DatasetTerms({
                pricePerPeriod: dataset.pricePerPeriod,
                periodSeconds: dataset.periodSeconds,
                exploreOffered: dataset.exploreOffered,
                freePreview: dataset.freePreview
            })
        });
    }

    /// @notice Number of datasets ever registered (retired ones included).
    function datasetCount() external view returns (uint256) {
        return _datasetIds.length;
    }

    /// @notice The id of the `index`-th registered dataset, in registration order.
    function datasetIdAt(uint256 index) external view returns (bytes32) {
        return _datasetIds[index];
    }

    /// @notice The manifest root of one version; reverts when the version does not exist.
    function datasetVersionRoot(bytes32 datasetId, uint32 version) external view returns (bytes32) {
        bytes32 root = _versions[datasetId][version];
        if (root == bytes32(0)) revert DatasetsUnknownVersion(datasetId, version);
        return root;
    }

    /// @notice The reviewers a provider named for a dataset.
    function reviewersOf(bytes32 datasetId) external view returns (address[] memory) {
        return _reviewerLists[datasetId];
    }

    /// @notice Whether `account` is a reviewer of `datasetId`.
    function isReviewer(bytes32 datasetId, address account) public view returns (bool) {
        return _isReviewer[datasetId][account];
    }

    /// @dev The storage record of a registered dataset; reverts when it is unknown.
    function _requireDataset(bytes32 datasetId) internal view returns (DatasetRecord storage dataset) {
        dataset = _datasets[datasetId];
        if (dataset.provider == address(0)) revert DatasetsUnknownDataset(datasetId);
    }

    /// @inheritdoc Policy
    function _providerOf(bytes32 datasetId) internal view override returns (address) {
        return _datasets[datasetId].provider;
    }

    /// @inheritdoc Policy
    function _requireDatasetExists(bytes32 datasetId) internal view override {
        _requireDataset(datasetId);
    }

    function _checkTerms(DatasetTerms calldata terms) private pure {
        if (terms.periodSeconds == 0 || (terms.freePreview && !terms.exploreOffered)) {
            revert DatasetsInvalidTerms();
        }
    }

    function _writeDetails(
        DatasetRecord storage dataset,
        bytes32 metadataHash,
        string calldata metadataUri,
        DatasetTerms calldata terms
    ) private {
        dataset.exploreOffered = terms.exploreOffered;
        dataset.freePreview = terms.freePreview;
        dataset.pricePerPeriod = terms.pricePerPeriod;
        dataset.periodSeconds = terms.periodSeconds;
        dataset.metadataHash = metadataHash;
        dataset.metadataUri = metadataUri;
    }

    /// @dev Replaces the whole list so that the list and the lookup never disagree.
    function _setReviewers(bytes32 datasetId, address[] calldata reviewers) private {
        if (reviewers.length > MAX_REVIEWERS) revert DatasetsTooManyReviewers(reviewers.length, MAX_REVIEWERS);
        address[] storage current = _reviewerLists[datasetId];
        for (uint256 i = 0; i < current.length; ++i) {
            delete _isReviewer[datasetId][current[i]];
        }
        delete _reviewerLists[datasetId];
        for (uint256 i = 0; i < reviewers.length; ++i) {
            address reviewer = reviewers[i];
            if (reviewer == address(0) || _isReviewer[datasetId][reviewer]) revert DatasetsInvalidReviewer(reviewer);
            _isReviewer[datasetId][reviewer] = true;
            current.push(reviewer);
        }
        emit DatasetReviewersChanged(datasetId, reviewers);
    }
}
