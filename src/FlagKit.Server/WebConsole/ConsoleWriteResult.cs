using FlagKit.Protocol.V1;

namespace FlagKit.Server.WebConsole;

/// <summary>What a console write came to: the admin service's answer, or its refusal in its own words.</summary>
/// <param name="Response">The answer, when the write went through.</param>
/// <param name="Error">The refusal's message (the compiler's, for a bad document).</param>
/// <param name="Stale">True when it was refused because the environment moved on (optimistic concurrency).</param>
internal sealed record ConsoleWriteResult(WriteResponse? Response, string? Error, bool Stale);
