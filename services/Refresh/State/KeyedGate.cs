namespace ModeRefresh.Refresh.State;

/// <summary>
/// One turn at a time per key, within this process. Entries exist only while someone holds or waits for the key, so
/// memory stays bounded by the work in flight.
/// </summary>
internal sealed class KeyedGate
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async Task<IDisposable> EnterAsync(string key, CancellationToken ct)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                _entries[key] = entry = new Entry();
            }

            entry.Users++;
        }

        try
        {
            await entry.Turn.WaitAsync(ct);
        }
        catch
        {
            Leave(key, entry, held: false);
            throw;
        }

        return new Turn(this, key, entry);
    }

    private void Leave(string key, Entry entry, bool held)
    {
        if (held)
        {
            entry.Turn.Release();
        }

        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Turn.Dispose();
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Turn { get; } = new(1, 1);
        public int Users { get; set; }
    }

    private sealed class Turn(KeyedGate gate, string key, Entry entry) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                gate.Leave(key, entry, held: true);
            }
        }
    }
}
