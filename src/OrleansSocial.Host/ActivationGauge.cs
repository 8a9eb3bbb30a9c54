using System.Diagnostics.Metrics;

namespace OrleansSocial.Host;

/// <summary>
/// <c>orleans.activations.active</c> (exported as <c>orleans_activations_active</c>, the name dashboards scrape): the
/// grain activations in this silo, read from Orleans' own <c>orleans-catalog-activations</c> instrument.
/// </summary>
internal sealed class ActivationGauge : IDisposable
{
    private const string OrleansMeter = "Microsoft.Orleans";
    private const string CatalogActivations = "orleans-catalog-activations";

    private readonly MeterListener _listener = new();
    private long _activations;

    public ActivationGauge(IMeterFactory meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == OrleansMeter && instrument.Name == CatalogActivations)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Record(instrument, value));
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Record(instrument, value));
        _listener.Start();
        meters.Create("OrleansSocial.Silo").CreateObservableUpDownCounter("orleans.activations.active", () =>
        {
            _listener.RecordObservableInstruments();
            return Volatile.Read(ref _activations);
        }, "{activation}", "Grain activations in this silo.");
    }

    // An observable instrument reports the current count; an up-down counter reports changes.
    private void Record(Instrument instrument, long value)
    {
        if (instrument.IsObservable)
        {
            Volatile.Write(ref _activations, value);
        }
        else
        {
            Interlocked.Add(ref _activations, value);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
    }
}
