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
}
