using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Server.Hosting;

/// <summary>
/// Request marshallers that refuse undecodable bytes with INVALID_ARGUMENT naming the message type. grpc-dotnet
/// answers a deserializer's own exception with UNKNOWN "Exception was thrown by handler"; an <see cref="RpcException"/>
/// thrown by the deserializer reaches the client with its status.
/// </summary>
internal static class StrictDecoding
{
    /// <summary>Wraps a request marshaller so that bytes that are not the message give INVALID_ARGUMENT.</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="inner">The generated marshaller.</param>
    /// <returns>The same serializer, a deserializer that maps decoding failures.</returns>
    public static Marshaller<T> Wrap<T>(Marshaller<T> inner)
        where T : class =>
        new(inner.ContextualSerializer, context => Decode(inner.ContextualDeserializer, context));

    /// <summary>Parses with <paramref name="parse"/>; a decoding failure becomes INVALID_ARGUMENT.</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="parse">The parser.</param>
    /// <param name="context">The payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="RpcException">INVALID_ARGUMENT: the payload is not a <typeparamref name="T"/>.</exception>
    public static T Decode<T>(Func<DeserializationContext, T> parse, DeserializationContext context)
    {
        try
        {
            return parse(context);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request is not a valid {typeof(T).Name} message: {e.Message}"));
        }
    }
}
