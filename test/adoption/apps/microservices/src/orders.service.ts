import { Injectable } from '@nestjs/common';

export interface OrderCreated {
  id: string;
}

/** The order events this instance handled, in order. */
@Injectable()
export class OrdersService {
  readonly handled: { id: string; sub: string }[] = [];

  get(sub: string, id: string) {
    return { id, sub };
  }

  created(sub: string, event: OrderCreated) {
    this.handled.push({ id: event.id, sub });
  }
}
