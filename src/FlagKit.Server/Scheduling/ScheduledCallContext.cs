using FlagKit.Server.Auth;
using FlagKit.Server.Writes;
using Grpc.Core;

namespace FlagKit.Server.Scheduling;

/// <summary>
/// The call context a due scheduled change hands to the admin service's own RPC method, as the key that scheduled
/// it: so the change runs through exactly the path a live call takes. It also says, for the service's write helper,
/// what to add to the history operation ("scheduled change #12 by alice, due …") and, for an edit, the check that its
/// documents did not change after the revision it was scheduled against (made against the state it commits on).
/// </summary>
internal sealed class ScheduledCallContext : ServerCallContext
{
    private readonly Dictionary<object, object> _userState = [];
    private readonly CancellationToken _cancellation;
    private readonly string _note;
    private readonly long _baseRevision;
    private readonly bool _isEdit;
    private readonly long _id;

    /// <summary>Creates the context.</summary>
    /// <param name="caller">The key that scheduled the change.</param>
    /// <param name="method">The admin method, e.g. <c>/flagkit.v1.FlagAdmin/SetFlagState</c>.</param>
    /// <param name="id">The change's id.</param>
    /// <param name="note">What history adds to the operation.</param>
    /// <param name="baseRevision">The revision it was scheduled against.</param>
    /// <param name="isEdit">Whether its documents must be unchanged since <paramref name="baseRevision"/>.</param>
    /// <param name="cancellation">Stops the write (server shutting down).</param>
    public ScheduledCallContext(CallerIdentity caller, string method, long id, string note, long baseRevision, bool isEdit, CancellationToken cancellation)
    {
        MethodCore = method;
        _id = id;
        _note = note;
        _baseRevision = baseRevision;
        _isEdit = isEdit;
        _cancellation = cancellation;
        ApiKeyInterceptor.SetCaller(this, caller);
    }

    /// <summary>The operation as history records it for this change.</summary>
    /// <param name="operation">The write's own operation ("killed").</param>
    /// <returns>"killed (scheduled change #12 by alice, due …)".</returns>
    public string Annotate(string operation) => string.IsNullOrEmpty(operation) ? _note : $"{operation} ({_note})";

    /// <summary>
    /// The plan to run: for an edit, the write's own plan followed by the check that none of the documents it touches
    /// changed after the base revision (against the very state the write commits on); otherwise the plan itself.
    /// </summary>
    /// <param name="plan">The write's plan.</param>
    /// <returns>The plan to run.</returns>
    public Func<EnvironmentState, IReadOnlyList<DocumentEdit>> Guard(Func<EnvironmentState, IReadOnlyList<DocumentEdit>> plan) =>
        !_isEdit ? plan : state =>
        {
            var edits = plan(state);
            foreach (var edit in edits)
            {
                if (state.Find(edit.Kind, edit.Key) is { } current && current.Stored.Revision > _baseRevision)
                {
                    throw WriteRefusedException.Conflict(
                        $"Scheduled change #{_id} was written against revision {_baseRevision} of environment '{state.Name}', but " +
                        $"{EnvironmentCatalog.KindName(edit.Kind)} '{edit.Key}' changed since (revision {current.Stored.Revision}, by {current.Stored.UpdatedBy}); " +
                        "it was not applied. Schedule it again against the current state.");
                }
            }

            return edits;
        };

    /// <inheritdoc />
    protected override string MethodCore { get; }

    /// <inheritdoc />
    protected override string HostCore => "scheduler";

    /// <inheritdoc />
    protected override string PeerCore => $"schedule:{_id}";

    /// <inheritdoc />
    protected override DateTime DeadlineCore => DateTime.MaxValue;

    /// <inheritdoc />
    protected override Metadata RequestHeadersCore { get; } = [];

    /// <inheritdoc />
    protected override CancellationToken CancellationTokenCore => _cancellation;

    /// <inheritdoc />
    protected override Metadata ResponseTrailersCore { get; } = [];

    /// <inheritdoc />
    protected override Status StatusCore { get; set; }

    /// <inheritdoc />
    protected override WriteOptions? WriteOptionsCore { get; set; }

    /// <inheritdoc />
    protected override AuthContext AuthContextCore { get; } = new(null, []);

    /// <inheritdoc />
    protected override IDictionary<object, object> UserStateCore => _userState;

    /// <inheritdoc />
    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Scheduled writes do not propagate calls.");

    /// <inheritdoc />
    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
