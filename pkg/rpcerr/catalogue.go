package rpcerr

import (
	"net/http"

	"google.golang.org/grpc/codes"
)

// Code is one entry of the catalogue. Codes are compared by identity; use errors.Is(err, Code).
type Code struct {
	Name      string     // Kafka's name, e.g. "NOT_ENOUGH_REPLICAS"
	Kafka     int16      // Kafka's error number
	Retriable bool       // a client may retry the same request (after a metadata refresh)
	GRPC      codes.Code // status code on the gRPC API
	HTTP      int        // status on the REST API
	Hint      string     // what the user should do, appended to messages that lack one
}

// Error implements error so a *Code can be used as an errors.Is target and returned as is.
func (c *Code) Error() string { return c.Name + ": " + c.Hint }

func code(name string, kafka int16, retriable bool, g codes.Code, h int, hint string) *Code {
	c := &Code{Name: name, Kafka: kafka, Retriable: retriable, GRPC: g, HTTP: h, Hint: hint}
	byName[name] = c
	return c
}

var byName = map[string]*Code{}

// The catalogue. Kafka numbers follow org.apache.kafka.common.protocol.Errors.
var (
	Unknown = code("UNKNOWN_SERVER_ERROR", -1, false, codes.Internal, http.StatusInternalServerError,
		"this is a bug in Runnel; the server log has details")
	OffsetOutOfRange = code("OFFSET_OUT_OF_RANGE", 1, false, codes.OutOfRange, http.StatusRequestedRangeNotSatisfiable,
		"read from an offset between the log start offset and the high watermark")
	CorruptMessage = code("CORRUPT_MESSAGE", 2, true, codes.DataLoss, http.StatusBadRequest,
		"the record batch failed its CRC or is malformed; re-encode and send it again")
	UnknownTopicOrPartition = code("UNKNOWN_TOPIC_OR_PARTITION", 3, true, codes.NotFound, http.StatusNotFound,
		"check the topic name and partition number (runnel topic list / describe)")
	LeaderNotAvailable = code("LEADER_NOT_AVAILABLE", 5, true, codes.Unavailable, http.StatusServiceUnavailable,
		"the partition has no leader right now; retry shortly")
	NotLeaderOrFollower = code("NOT_LEADER_OR_FOLLOWER", 6, true, codes.FailedPrecondition, http.StatusServiceUnavailable,
		"this node does not lead the partition; refresh metadata and send to the leader")
	RequestTimedOut = code("REQUEST_TIMED_OUT", 7, true, codes.DeadlineExceeded, http.StatusServiceUnavailable,
		"the request did not complete in time; retry, or raise the timeout")
	MessageTooLarge = code("MESSAGE_TOO_LARGE", 10, false, codes.InvalidArgument, http.StatusRequestEntityTooLarge,
		"send smaller records or batches, or raise max.message.bytes on the topic")
	InvalidTopic = code("INVALID_TOPIC_EXCEPTION", 17, false, codes.InvalidArgument, http.StatusBadRequest,
		"topic names are 1-249 characters of [a-zA-Z0-9._-] and not \".\" or \"..\"")
	NotEnoughReplicas = code("NOT_ENOUGH_REPLICAS", 19, true, codes.Unavailable, http.StatusServiceUnavailable,
		"fewer in-sync replicas than min.insync.replicas; retry when replicas are back, or use acks=1")
	NotEnoughReplicasAfterAppend = code("NOT_ENOUGH_REPLICAS_AFTER_APPEND", 20, true, codes.Unavailable, http.StatusServiceUnavailable,
		"the batch was written but the in-sync replicas fell below min.insync.replicas; retrying may duplicate it")
	IllegalGeneration = code("ILLEGAL_GENERATION", 22, false, codes.Aborted, http.StatusConflict,
		"the member's generation is stale; heartbeat to get the current generation and assignment")
	UnknownMemberID = code("UNKNOWN_MEMBER_ID", 25, false, codes.NotFound, http.StatusNotFound,
		"the member is not in the group (it left or its session expired); join again")
	InvalidSessionTimeout = code("INVALID_SESSION_TIMEOUT", 26, false, codes.InvalidArgument, http.StatusBadRequest,
		"choose a session timeout within the allowed range")
	RebalanceInProgress = code("REBALANCE_IN_PROGRESS", 27, true, codes.Aborted, http.StatusConflict,
		"the group is rebalancing; heartbeat and retry")
	InvalidCommitOffsetSize = code("INVALID_COMMIT_OFFSET_SIZE", 28, false, codes.InvalidArgument, http.StatusBadRequest,
		"the commit metadata is too large")
	InvalidPartitions = code("INVALID_PARTITIONS", 37, false, codes.InvalidArgument, http.StatusBadRequest,
		"choose a partition count of at least 1 and at most the cluster's maximum")
	InvalidReplicationFactor = code("INVALID_REPLICATION_FACTOR", 38, false, codes.InvalidArgument, http.StatusBadRequest,
		"choose a replication factor between 1 and the number of live storage nodes")
	TopicAlreadyExists = code("TOPIC_ALREADY_EXISTS", 36, false, codes.AlreadyExists, http.StatusConflict,
		"pick another name, or delete the existing topic first")
	InvalidRequest = code("INVALID_REQUEST", 42, false, codes.InvalidArgument, http.StatusBadRequest,
		"fix the request as the message says and send it again")
	InvalidConfig = code("INVALID_CONFIG", 40, false, codes.InvalidArgument, http.StatusBadRequest,
		"check the config names and values (Kafka's topic config names)")
	InvalidRequiredAcks = code("INVALID_REQUIRED_ACKS", 21, false, codes.InvalidArgument, http.StatusBadRequest,
		"acks must be \"all\", \"-1\", \"1\" or \"0\"")
	GroupIDNotFound = code("GROUP_ID_NOT_FOUND", 69, false, codes.NotFound, http.StatusNotFound,
		"check the group name (runnel group list)")
	NonEmptyGroup = code("NON_EMPTY_GROUP", 68, false, codes.FailedPrecondition, http.StatusConflict,
		"stop the group's members first")
	CoordinatorNotAvailable = code("COORDINATOR_NOT_AVAILABLE", 15, true, codes.Unavailable, http.StatusServiceUnavailable,
		"no group coordinator is elected right now (the controller is changing); retry shortly")
	NotCoordinator = code("NOT_COORDINATOR", 16, true, codes.Unavailable, http.StatusServiceUnavailable,
		"this metadata node does not coordinate groups; retry on another metadata node")
	OffsetMetadataTooLarge = code("OFFSET_METADATA_TOO_LARGE", 12, false, codes.InvalidArgument, http.StatusBadRequest,
		"keep the commit metadata string under 4096 bytes")
	InconsistentGroupProtocol = code("INCONSISTENT_GROUP_PROTOCOL", 23, false, codes.FailedPrecondition, http.StatusConflict,
		"join with the assignor the group already uses (runnel group describe), or delete the group first")
	InvalidGroupID = code("INVALID_GROUP_ID", 24, false, codes.InvalidArgument, http.StatusBadRequest,
		"group ids are 1-249 characters of [a-zA-Z0-9._-]")
	FencedInstanceID = code("FENCED_INSTANCE_ID", 82, false, codes.FailedPrecondition, http.StatusConflict,
		"another member joined with the same instance id and took over; stop this one")
	UnsupportedAssignor = code("UNSUPPORTED_ASSIGNOR", 112, false, codes.InvalidArgument, http.StatusBadRequest,
		"use the assignor \"sticky\", \"range\" or \"roundrobin\"")
	// PartitionNotAssigned has no Kafka counterpart (Kafka does not check ownership on commit).
	PartitionNotAssigned = code("PARTITION_NOT_ASSIGNED", -1, false, codes.FailedPrecondition, http.StatusConflict,
		"commit only partitions assigned to the member; heartbeat to get the current assignment")
	FencedLeaderEpoch = code("FENCED_LEADER_EPOCH", 74, true, codes.FailedPrecondition, http.StatusConflict,
		"the leader epoch is stale; refresh metadata")
	UnknownLeaderEpoch = code("UNKNOWN_LEADER_EPOCH", 75, true, codes.FailedPrecondition, http.StatusConflict,
		"the leader epoch is newer than this node knows; retry after it catches up")
	StaleBrokerEpoch = code("STALE_BROKER_EPOCH", 77, false, codes.FailedPrecondition, http.StatusConflict,
		"the node's session is stale; it must register again")
	InvalidRecord = code("INVALID_RECORD", 87, false, codes.InvalidArgument, http.StatusBadRequest,
		"fix the record as the message says and send it again")
	NotController = code("NOT_CONTROLLER", 41, true, codes.Unavailable, http.StatusServiceUnavailable,
		"this metadata node is not the controller; retry")
	InvalidUpdateVersion = code("INVALID_UPDATE_VERSION", 95, false, codes.FailedPrecondition, http.StatusConflict,
		"the partition epoch is stale; refresh metadata and propose again")
	UnknownTopicID = code("UNKNOWN_TOPIC_ID", 100, true, codes.NotFound, http.StatusNotFound,
		"the topic was deleted or recreated; refresh metadata")
	BrokerNotAvailable = code("BROKER_NOT_AVAILABLE", 8, true, codes.Unavailable, http.StatusServiceUnavailable,
		"the node is not available; retry shortly")
	KafkaStorageError = code("KAFKA_STORAGE_ERROR", 56, true, codes.Unavailable, http.StatusServiceUnavailable,
		"the storage node could not read or write its disk; the log has details")
)

// Lookup finds a code by its name.
func Lookup(name string) (*Code, bool) {
	c, ok := byName[name]
	return c, ok
}

// All returns every code of the catalogue (order unspecified).
func All() []*Code {
	out := make([]*Code, 0, len(byName))
	for _, c := range byName {
		out = append(out, c)
	}
	return out
}
