namespace Mero.Runtime;

/// <summary>Sub-code of <see cref="FunctionCallErrorCode.HostError"/>, after upstream's HostError.</summary>
public enum HostErrorCode
{
    Panic,
    InvalidMemoryAccess,
    InvalidRegisterId,
    BadUtf8,
    DeserializationError,
    IntegerOverflow,
    KeyLengthOverflow,
    ValueLengthOverflow,
    StorageWriteCountExceeded,
    StorageWriteBytesExceeded,
    ReturnValueTooLarge,
    LogsOverflow,
    LogLengthOverflow,
    EventsOverflow,
    EventKindSizeOverflow,
    EventDataSizeOverflow,
    HandlerNameOverflow,
    XCallsOverflow,
    XCallFunctionSizeOverflow,
    XCallParamsSizeOverflow,
    ContextMutationsOverflow,
    InvalidIdLength,
    ArtifactTooLarge,
    AlreadyCommitted,
    BlobsNotSupported,
    BlobHandlesOverflow,
    InvalidBlobHandle,
    BlobChunkTooLarge,
    BlobBytesExceeded,
    Ed25519IncorrectPublicKey,
    RegisterSizeOverflow,
    RegistersOverflow,
    RegistersCapacityOverflow,

    /// <summary>A host function this runtime links but cannot serve (e.g. the guest governance calls).</summary>
    NotSupported,
}
