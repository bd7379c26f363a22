// The order of the peer, written the way Emmett's docs write a domain: events, an evolve that
// folds them into state, and decide functions that a CommandHandler runs against that state.
// It mirrors Orderline's `POST /orders`: the lines are checked against a catalogue snapshot
// (SKU known, price, currency) that the event stores, so reading the order needs no join.
import { IllegalStateError, ValidationError } from '@event-driven-io/emmett';

// The same products and prices as Orderline's demo catalogue (cli/demo_catalogue.cpp).
export const catalogue = new Map([
  ['COFFEE-1KG', { name: 'House blend coffee beans, 1 kg', price_minor: 1999 }],
  ['TEA-GREEN-250', { name: 'Sencha green tea, 250 g', price_minor: 899 }],
  ['MUG-CLASSIC', { name: 'Classic stoneware mug', price_minor: 1250 }],
  ['GRINDER-HAND', { name: 'Hand coffee grinder', price_minor: 4900 }],
  ['FILTER-PAPER-100', { name: 'Paper filters, pack of 100', price_minor: 450 }],
]);
const catalogueCurrency = 'EUR';

export const initialState = () => ({ status: 'none' });

export const evolve = (state, { type, data }) => {
  switch (type) {
    case 'OrderPlaced':
      return {
        status: 'placed',
        order_id: data.order_id,
        customer_id: data.customer_id,
        lines: data.lines,
        total: data.total,
        created_at: data.placed_at,
        updated_at: data.placed_at,
      };
    default:
      return state;
  }
};

// decide: PlaceOrder -> OrderPlaced, or an error. The handler appends with
// expectedStreamVersion STREAM_DOES_NOT_EXIST, so a second placement of the same id conflicts.
export const placeOrder = (command, state) => {
  if (state.status !== 'none') throw new IllegalStateError('order already placed');
  const { order_id, customer_id, currency, lines } = command;
  if (typeof customer_id !== 'string' || customer_id === '') throw new ValidationError('customer_id is required');
  if (currency !== catalogueCurrency) throw new ValidationError(`currency must be ${catalogueCurrency}`);
  if (!Array.isArray(lines) || lines.length === 0) throw new ValidationError('lines must not be empty');
  let total = 0;
  const priced = lines.map(({ sku, quantity }) => {
    const product = catalogue.get(sku);
    if (!product) throw new ValidationError(`unknown sku ${sku}`);
    if (!Number.isInteger(quantity) || quantity < 1) throw new ValidationError('quantity must be a positive integer');
    total += product.price_minor * quantity;
    return { sku, quantity, unit_price: { amount_minor: product.price_minor, currency } };
  });
  return {
    type: 'OrderPlaced',
    data: {
      order_id,
      customer_id,
      lines: priced,
      total: { amount_minor: total, currency },
      placed_at: new Date().toISOString(),
    },
  };
};
