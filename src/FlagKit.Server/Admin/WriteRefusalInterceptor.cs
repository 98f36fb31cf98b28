using FlagKit.Server.Writes;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FlagKit.Server.Admin;

/// <summary>The edge between the write domain and gRPC: a <see cref="WriteRefusedException"/> becomes its status code.</summary>
internal sealed class WriteRefusalInterceptor : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (WriteRefusedException e)
        {
            throw ToRpc(e);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (WriteRefusedException e)
        {
            throw ToRpc(e);
        }
    }

    /// <summary>The status a refusal is answered with.</summary>
    /// <param name="e">The refusal.</param>
    /// <returns>The RPC exception carrying its message.</returns>
    public static RpcException ToRpc(WriteRefusedException e) => new(new Status(e.Refusal switch
    {
        WriteRefusal.NotFound => StatusCode.NotFound,
        WriteRefusal.AlreadyExists => StatusCode.AlreadyExists,
        WriteRefusal.Conflict => StatusCode.FailedPrecondition,
        WriteRefusal.LimitExceeded => StatusCode.ResourceExhausted,
        WriteRefusal.Unavailable => StatusCode.Unavailable,
        _ => StatusCode.InvalidArgument,
    }, e.Message));
}
