using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace FlagKit.Evaluation;

/// <summary>The MurmurHash3 state after a split's salt: see <see cref="MurmurHash3.Prefix(string)"/>.</summary>
internal readonly record struct MurmurPrefix(uint State, uint Pending, int PendingLength, int Length);
